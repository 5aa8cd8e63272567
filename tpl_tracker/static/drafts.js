// Drafts of forms: nothing typed is lost to a failed validation, an expired form or an ended session.
//
// A form opts in with <form data-draft>. While the user types, its fields are kept in the browser's localStorage
// under "tpl-draft:<user id>:<form address>" (never passwords, the CSRF token, hidden fields or files); files are
// kept in IndexedDB under the same key by whoever handles them (photos.js). When the form is opened again with a
// draft (after signing in again, say), the draft is put back and a notice offers to discard it. The server says
// when to forget (tpl_tracker/drafts.py): <body data-drafts-saved='["/path"]'> after a form was saved,
// data-drafts-clear after signing out; drafts older than a week are forgotten on any page.
//
// window.TplDrafts holds the pieces as plain functions (collect, apply, save, load, forget, saveFiles, loadFiles),
// usable without a page form too (an offline queue).
(function () {
  "use strict";

  var PREFIX = "tpl-draft:";
  var MAX_AGE_MS = 7 * 24 * 3600 * 1000;
  var SKIPPED_TYPES = ["password", "hidden", "file", "submit", "button", "reset", "image"];
  var DB_NAME = "tpl-drafts";
  var STORE = "files";

  function draftKey(owner, url) {
    return PREFIX + owner + ":" + url;
  }

  function pathOfKey(key) {
    var url = key.slice(key.indexOf(":", PREFIX.length) + 1);
    return url.split("?")[0];
  }

  // The fields a draft keeps: named, enabled, typed by the user; never a password or a token.
  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      if (!element.name || element.disabled || element.name === "csrf_token") {
        return false;
      }
      if (element.hasAttribute("data-draft-skip") || /password|one-time-code/.test(element.autocomplete || "")) {
        return false;
      }
      var type = (element.type || "").toLowerCase();
      return ["INPUT", "SELECT", "TEXTAREA"].indexOf(element.tagName) >= 0 && SKIPPED_TYPES.indexOf(type) < 0;
    });
  }

  // What the form holds now: {name: [values]} (the checked values of checkboxes and radio buttons, the selected
  // options of a multiple select, else one value per field of that name). `pending` holds values still waiting
  // for their option to be loaded (see apply).
  function collect(form, pending) {
    var values = {};
    draftFields(form).forEach(function (element) {
      var list = values[element.name] || (values[element.name] = []);
      if (pending && pending.has(element)) {
        list.push(pending.get(element));
      } else if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) {
          list.push(element.value);
        }
      } else if (element.tagName === "SELECT" && element.multiple) {
        Array.prototype.forEach.call(element.selectedOptions, function (option) {
          list.push(option.value);
        });
      } else {
        list.push(element.value);
      }
    });
    return values;
  }

  function changed(element) {
    element.dispatchEvent(new Event("input", { bubbles: true }));
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  // A select whose option is not there yet (a list filled by another script after its parent changed): set it
  // when the option appears; given up after a few changes of the list without it.
  function setWhenLoaded(select, value, pending) {
    pending.set(select, value);
    var tries = 0;
    var observer = new MutationObserver(function () {
      tries += 1;
      if (hasOption(select, value)) {
        select.value = value;
        pending.delete(select);
        observer.disconnect();
        changed(select);
      } else if (tries > 3) {
        pending.delete(select);
        observer.disconnect();
      }
    });
    observer.observe(select, { childList: true });
    select.addEventListener("change", function (event) {
      if (event.isTrusted) {
        pending.delete(select);
        observer.disconnect();
      }
    });
  }

  // Put the values back into the form; returns how many fields changed. Each changed field gets input and
  // change events, so that the form's own scripts follow (lists that fill in, parts that show).
  function apply(form, values, pending) {
    pending = pending || new Map();
    var count = 0;
    var seen = {};
    draftFields(form).forEach(function (element) {
      if (!Object.prototype.hasOwnProperty.call(values, element.name)) {
        return;
      }
      var list = values[element.name] || [];
      if (element.type === "checkbox" || element.type === "radio") {
        var checked = list.indexOf(element.value) >= 0;
        if (element.checked !== checked) {
          element.checked = checked;
          count += 1;
          changed(element);
        }
      } else if (element.tagName === "SELECT" && element.multiple) {
        var differs = false;
        Array.prototype.forEach.call(element.options, function (option) {
          var selected = list.indexOf(option.value) >= 0;
          differs = differs || option.selected !== selected;
          option.selected = selected;
        });
        if (differs) {
          count += 1;
          changed(element);
        }
      } else {
        var index = seen[element.name] || 0;
        seen[element.name] = index + 1;
        var value = list[index];
        if (value === undefined || element.value === value) {
          return;
        }
        count += 1;
        if (element.tagName === "SELECT" && !hasOption(element, value)) {
          setWhenLoaded(element, value, pending);
          return;
        }
        element.value = value;
        changed(element);
      }
    });
    return count;
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage switched off: no drafts
    }
  }

  function save(key, values) {
    var store = storage();
    if (!store) {
      return;
    }
    try {
      store.setItem(key, JSON.stringify({ savedAt: Date.now(), values: values }));
    } catch (error) {
      // storage full: the form still works, only without a draft
    }
  }

  function load(key) {
    var store = storage();
    var text = store && store.getItem(key);
    if (!text) {
      return null;
    }
    try {
      var draft = JSON.parse(text);
      if (Date.now() - draft.savedAt > MAX_AGE_MS) {
        forget(key);
        return null;
      }
      return draft.values;
    } catch (error) {
      forget(key);
      return null;
    }
  }

  function keys() {
    var store = storage();
    var found = [];
    for (var i = 0; store && i < store.length; i++) {
      if (store.key(i).indexOf(PREFIX) === 0) {
        found.push(store.key(i));
      }
    }
    return found;
  }

  // IndexedDB holds the files of a draft ({savedAt, files: [{name, type, blob}]}); every call answers a promise
  // and resolves quietly (no files) where IndexedDB cannot be used.
  var database = null;

  function openFiles() {
    if (!database) {
      database = new Promise(function (resolve) {
        if (!window.indexedDB) {
          resolve(null);
          return;
        }
        var request;
        try {
          request = window.indexedDB.open(DB_NAME, 1);
        } catch (error) {
          resolve(null);
          return;
        }
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE);
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          resolve(null);
        };
      });
    }
    return database;
  }

  function filesRequest(mode, action) {
    return openFiles().then(function (db) {
      if (!db) {
        return null;
      }
      return new Promise(function (resolve) {
        var request;
        try {
          request = action(db.transaction(STORE, mode).objectStore(STORE));
        } catch (error) {
          resolve(null);
          return;
        }
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          resolve(null);
        };
      });
    });
  }

  function saveFiles(key, files) {
    if (!files.length) {
      return filesRequest("readwrite", function (store) {
        return store.delete(key);
      });
    }
    var entry = {
      savedAt: Date.now(),
      files: files.map(function (file) {
        return { name: file.name, type: file.type, blob: file };
      }),
    };
    return filesRequest("readwrite", function (store) {
      return store.put(entry, key);
    });
  }

  function loadFiles(key) {
    return filesRequest("readonly", function (store) {
      return store.get(key);
    }).then(function (entry) {
      if (!entry || Date.now() - entry.savedAt > MAX_AGE_MS) {
        return [];
      }
      return entry.files.map(function (item) {
        return new File([item.blob], item.name, { type: item.type });
      });
    });
  }

  function forget(key) {
    var store = storage();
    if (store) {
      store.removeItem(key);
    }
    return filesRequest("readwrite", function (files) {
      return files.delete(key);
    });
  }

  // Forget every draft (signing out), or those of one user (prefix "tpl-draft:<id>:").
  function forgetAll(prefix) {
    prefix = prefix || PREFIX;
    keys().forEach(function (key) {
      if (key.indexOf(prefix) === 0) {
        storage().removeItem(key);
      }
    });
    return filesRequest("readwrite", function (files) {
      return files.delete(IDBKeyRange.bound(prefix, prefix + "\uffff"));
    });
  }

  // Forget the files of drafts older than a week (their text is forgotten by load()).
  function forgetOldFiles() {
    return openFiles().then(function (db) {
      if (!db) {
        return null;
      }
      return new Promise(function (resolve) {
        try {
          var request = db.transaction(STORE, "readwrite").objectStore(STORE).openCursor();
          request.onsuccess = function () {
            var cursor = request.result;
            if (!cursor) {
              resolve(null);
              return;
            }
            if (!cursor.value || Date.now() - cursor.value.savedAt > MAX_AGE_MS) {
              cursor.delete();
            }
            cursor.continue();
          };
          request.onerror = function () {
            resolve(null);
          };
        } catch (error) {
          resolve(null);
        }
      });
    });
  }

  // The server's word on this page: forms saved since the last page, or a sign-out; and drafts grown old.
  function forgetWhatTheServerSays(body) {
    if (body.hasAttribute("data-drafts-clear")) {
      return forgetAll();
    }
    var saved = [];
    try {
      saved = JSON.parse(body.getAttribute("data-drafts-saved") || "[]");
    } catch (error) {
      saved = [];
    }
    var done = keys()
      .filter(function (key) {
        return saved.indexOf(pathOfKey(key)) >= 0;
      })
      .map(forget);
    keys().forEach(function (key) {
      load(key); // forgets it when it is older than a week
    });
    done.push(forgetOldFiles());
    return Promise.all(done);
  }

  function showNotice(form, onDiscard) {
    var template = document.getElementById("draft-restored");
    if (!template) {
      return;
    }
    var notice = template.content.firstElementChild.cloneNode(true);
    notice.querySelector("[data-draft-discard]").addEventListener("click", onDiscard);
    form.parentNode.insertBefore(notice, form);
  }

  function keyOf(form, owner) {
    return draftKey(owner, form.getAttribute("data-draft") || window.location.pathname + window.location.search);
  }

  function watch(form, owner) {
    var key = keyOf(form, owner);
    var pending = new Map();
    var draft = load(key);
    if (draft && apply(form, draft, pending) > 0) {
      showNotice(form, function () {
        forget(key).then(function () {
          window.location.replace(window.location.pathname + window.location.search);
        });
      });
    }
    var keep = function () {
      save(key, collect(form, pending));
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", keep);
    form.querySelectorAll("[data-draft-discard]").forEach(function (link) {
      link.addEventListener("click", function () {
        forget(key);
      });
    });
    form.tplDraftKey = key; // for the scripts that keep the form's files (photos.js), once TplDrafts.ready
  }

  window.TplDrafts = {
    key: draftKey,
    keyOf: keyOf,
    collect: collect,
    apply: apply,
    save: save,
    load: load,
    forget: forget,
    forgetAll: forgetAll,
    saveFiles: saveFiles,
    loadFiles: loadFiles,
    ready: null,
  };

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    var owner = body.getAttribute("data-draft-owner");
    // The forms are watched once the other scripts of the page are set up (a task later: their lists fill in when
    // a restored parent changes) and the server's word is done (a saved form's files are not put back).
    var ready = new Promise(function (resolve) {
      window.setTimeout(resolve, 0);
    })
      .then(function () {
        return forgetWhatTheServerSays(body);
      })
      .then(function () {
        if (!owner) {
          return;
        }
        document.querySelectorAll("form[data-draft]").forEach(function (form) {
          watch(form, owner);
        });
      });
    window.TplDrafts.ready = ready;
    document.querySelectorAll("form[data-drafts-forget]").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (owner) {
          forgetAll(draftKey(owner, ""));
        }
      });
    });
  });
})();
