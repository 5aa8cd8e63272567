// Evidence photos from any phone: made smaller on the device before they are sent, kept when the form comes back.
//
// <input type="file" data-photos> (the activity form, the evidence form of an activity): each chosen photo is
// decoded upright, drawn at most 1600 px on its longest side and encoded again as JPEG at quality 0.8 (a 12 MB
// camera photo becomes a few hundred KB; the new file carries no EXIF data at all: camera, time, position). PDFs
// and small PNG/WebP images go as they are; the server checks everything that arrives again
// (services/evidence.py). Files chosen later are added to those already chosen; each can be removed. In a form
// with a draft (drafts.js) the files are kept with it, so that they are still attached when the form comes back
// after a failed validation or after signing in again. A JPEG's GPS position, when it has one, is offered for the
// latitude and longitude fields; it is only filled in when the TPL says so.
//
// window.TplPhotos holds the pieces as plain functions (downscale(file) -> Promise<Blob>, readGps(ArrayBuffer),
// prepare(file)), usable without a form too (an offline queue).
(function () {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.8;
  var SMALL_BYTES = 500 * 1024;
  var EXIF_BYTES = 256 * 1024; // EXIF sits at the start of a JPEG (APP1, at most 64 KB)
  var PHOTO_TYPES = /^image\/(jpeg|png|webp)$/;

  function decode(file) {
    if (!window.createImageBitmap) {
      return Promise.reject(new Error("createImageBitmap is missing"));
    }
    // Upright as the camera held it (EXIF orientation); older browsers do not know the option.
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
      return window.createImageBitmap(file);
    });
  }

  // The photo at most maxSide px on its longest side, as a JPEG Blob (no metadata: a canvas has none).
  function downscale(file, options) {
    options = options || {};
    var maxSide = options.maxSide || MAX_SIDE;
    var quality = options.quality || QUALITY;
    return decode(file).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // transparent parts of a PNG become white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) {
        bitmap.close();
      }
      return new Promise(function (resolve, reject) {
        canvas.toBlob(
          function (blob) {
            if (blob) {
              resolve(blob);
            } else {
              reject(new Error("the photo could not be encoded"));
            }
          },
          "image/jpeg",
          quality
        );
      });
    });
  }

  // The GPS position of a JPEG's EXIF data ({latitude, longitude}), or null. `buffer` holds the file's start.
  function readGps(buffer) {
    try {
      var view = new DataView(buffer);
      if (view.getUint16(0) !== 0xffd8) {
        return null;
      }
      var offset = 2;
      while (offset + 4 <= view.byteLength) {
        var marker = view.getUint16(offset);
        if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) {
          return null; // not a marker, or the image data starts: no EXIF
        }
        var length = view.getUint16(offset + 2);
        if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966 && view.getUint16(offset + 8) === 0) {
          return gpsOfTiff(view, offset + 10);
        }
        offset += 2 + length;
      }
    } catch (error) {
      // a cut or damaged header (DataView reads past the end): no position
    }
    return null;
  }

  function gpsOfTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    if (!little && view.getUint16(start) !== 0x4d4d) {
      return null;
    }
    var u16 = function (at) {
      return view.getUint16(start + at, little);
    };
    var u32 = function (at) {
      return view.getUint32(start + at, little);
    };
    // The entries of an image file directory: {tag: offset of the entry}.
    var entries = function (at) {
      var found = {};
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        found[u16(at + 2 + i * 12)] = at + 2 + i * 12;
      }
      return found;
    };
    if (u16(2) !== 42) {
      return null;
    }
    var pointer = entries(u32(4))[0x8825];
    if (pointer === undefined) {
      return null;
    }
    var gps = entries(u32(pointer + 8));
    var reference = function (tag) {
      return gps[tag] === undefined ? "" : String.fromCharCode(view.getUint8(start + gps[tag] + 8));
    };
    var degrees = function (tag) {
      if (gps[tag] === undefined || u16(gps[tag] + 2) !== 5 || u32(gps[tag] + 4) !== 3) {
        return NaN; // three RATIONALs: degrees, minutes, seconds
      }
      var at = u32(gps[tag] + 8);
      var parts = [0, 1, 2].map(function (n) {
        var denominator = u32(at + n * 8 + 4);
        return denominator ? u32(at + n * 8) / denominator : NaN;
      });
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    };
    var latitude = degrees(2) * (reference(1) === "S" ? -1 : 1);
    var longitude = degrees(4) * (reference(3) === "W" ? -1 : 1);
    if (!isFinite(latitude) || !isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
      return null;
    }
    if (latitude === 0 && longitude === 0) {
      return null; // a camera without a fix writes zeros
    }
    return { latitude: latitude, longitude: longitude };
  }

  function jpegName(name) {
    var stem = (name || "foto").replace(/\.[A-Za-z0-9]{1,5}$/, "");
    return stem + ".jpg";
  }

  // A chosen file ready to send ({file, gps}): photos made smaller, with the position they carried; anything
  // else as it is. A photo this browser cannot decode goes as it is (the server decides).
  function prepare(file, options) {
    if (!PHOTO_TYPES.test(file.type)) {
      return Promise.resolve({ file: file, gps: null });
    }
    var gps =
      file.type === "image/jpeg"
        ? file
            .slice(0, EXIF_BYTES)
            .arrayBuffer()
            .then(readGps)
            .catch(function () {
              return null;
            })
        : Promise.resolve(null);
    var ready = decode(file).then(function (bitmap) {
      var small = Math.max(bitmap.width, bitmap.height) <= MAX_SIDE && file.size <= SMALL_BYTES;
      if (bitmap.close) {
        bitmap.close();
      }
      if (small && file.type !== "image/jpeg") {
        return file;
      }
      return downscale(file, options).then(function (blob) {
        return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
      });
    });
    return Promise.all([
      ready.catch(function () {
        return file;
      }),
      gps,
    ]).then(function (results) {
      return { file: results[0], gps: results[1] };
    });
  }

  function sizeText(bytes) {
    var lang = document.documentElement.lang || undefined;
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)).toLocaleString(lang) + " KB";
    }
    return (bytes / 1024 / 1024).toLocaleString(lang, { maximumFractionDigits: 1 }) + " MB";
  }

  function wire(input) {
    var form = input.form;
    var list = document.getElementById(input.getAttribute("data-photos-list"));
    var status = document.getElementById(input.getAttribute("data-photos-status"));
    var offer = document.getElementById(input.getAttribute("data-photos-position"));
    var latitude = document.getElementById(input.getAttribute("data-latitude") || "latitude");
    var longitude = document.getElementById(input.getAttribute("data-longitude") || "longitude");
    var kept = [];
    var busy = 0;
    var offered = null;

    function setBusy(delta) {
      busy += delta;
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        button.disabled = busy > 0;
      });
      input.setAttribute("aria-busy", busy > 0 ? "true" : "false");
      if (status) {
        status.textContent = busy > 0 ? input.getAttribute("data-preparing") : "";
      }
      form.classList.toggle("photos-ready", busy === 0);
    }

    function persist() {
      if (form.tplDraftKey && window.TplDrafts) {
        window.TplDrafts.saveFiles(form.tplDraftKey, kept);
      }
    }

    function render() {
      if (!list) {
        return;
      }
      list.innerHTML = "";
      list.classList.toggle("d-none", kept.length === 0);
      kept.forEach(function (file, index) {
        var item = document.createElement("li");
        item.className = "list-group-item d-flex align-items-center gap-2 kept-file";
        if (PHOTO_TYPES.test(file.type)) {
          var thumb = document.createElement("img");
          thumb.className = "photo-thumb rounded";
          thumb.alt = "";
          var reader = new FileReader();
          reader.onload = function () {
            thumb.src = reader.result; // a data: URL (the Content-Security-Policy allows no blob: images)
          };
          reader.readAsDataURL(file);
          item.appendChild(thumb);
        }
        var text = document.createElement("span");
        text.className = "text-break";
        text.textContent = file.name + " · " + sizeText(file.size);
        item.appendChild(text);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-outline-danger ms-auto";
        remove.textContent = input.getAttribute("data-remove");
        remove.setAttribute("aria-label", input.getAttribute("data-remove") + ": " + file.name);
        remove.addEventListener("click", function () {
          kept.splice(index, 1);
          sync();
          input.focus();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }

    function sync() {
      var transfer = new DataTransfer();
      kept.forEach(function (file) {
        transfer.items.add(file);
      });
      input.files = transfer.files;
      render();
      persist();
    }

    function offerPosition(gps) {
      if (!offer || !latitude || !longitude) {
        return;
      }
      offered = gps;
      offer.querySelector("[data-position]").textContent =
        gps.latitude.toFixed(6) + ", " + gps.longitude.toFixed(6);
      offer.classList.remove("d-none");
    }

    if (offer) {
      offer.querySelector("[data-use-position]").addEventListener("click", function () {
        if (!offered) {
          return;
        }
        [
          [latitude, offered.latitude],
          [longitude, offered.longitude],
        ].forEach(function (pair) {
          pair[0].value = pair[1].toFixed(6);
          pair[0].dispatchEvent(new Event("input", { bubbles: true }));
          pair[0].dispatchEvent(new Event("change", { bubbles: true }));
        });
        offer.classList.add("d-none");
      });
      offer.querySelector("[data-dismiss-position]").addEventListener("click", function () {
        offer.classList.add("d-none");
      });
    }

    input.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(input.files);
      if (!chosen.length) {
        sync(); // "cancel" in the picker empties the input: the files kept stay
        return;
      }
      setBusy(1);
      Promise.all(
        chosen.map(function (file) {
          return prepare(file);
        })
      ).then(function (results) {
        results.forEach(function (result) {
          kept.push(result.file);
          if (result.gps) {
            offerPosition(result.gps);
          }
        });
        sync();
        setBusy(-1);
      });
    });

    form.addEventListener("submit", function (event) {
      if (busy > 0) {
        event.preventDefault(); // the photos are still being made smaller
      }
    });

    var drafts = window.TplDrafts;
    (drafts && drafts.ready ? drafts.ready : Promise.resolve())
      .then(function () {
        return form.tplDraftKey && drafts ? drafts.loadFiles(form.tplDraftKey) : [];
      })
      .then(function (files) {
        if (files.length && !kept.length) {
          kept = files;
          sync();
        }
        setBusy(0);
      });
  }

  window.TplPhotos = { downscale: downscale, readGps: readGps, prepare: prepare };

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof DataTransfer === "undefined") {
      return; // files cannot be replaced in the input: they go as chosen, the server checks them
    }
    try {
      new DataTransfer(); // eslint-disable-line no-new
    } catch (error) {
      return;
    }
    document.querySelectorAll("input[type=file][data-photos]").forEach(wire);
  });
})();
