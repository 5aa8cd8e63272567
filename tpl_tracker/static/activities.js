// Activity form: fill latitude and longitude from the phone's location, on request.
// Without JavaScript (or without geolocation) the button stays hidden and the fields can be typed.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("use-location");
  var latitude = document.getElementById("latitude");
  var longitude = document.getElementById("longitude");
  var status = document.getElementById("location-status");
  if (!button || !latitude || !longitude || !("geolocation" in navigator)) {
    return;
  }
  button.classList.remove("d-none");
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        if (status) {
          status.textContent = "± " + Math.round(position.coords.accuracy) + " m";
        }
        button.disabled = false;
      },
      function () {
        if (status) {
          status.textContent = button.dataset.error;
        }
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
});
