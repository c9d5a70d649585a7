// Live updates for the Overview: while it is shown, listen to /live (the API's event
// stream, relayed by the dashboard server with the signed-in user's token) and write every
// event into the "live-events" dcc.Store; the Overview's callbacks take that store as an
// input and refresh, and its notice says how many new alerts arrived.
// EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed.
(function () {
  "use strict";

  var NOTICE_ID = "live-notice"; // only in the Overview: its presence means "listen"
  var STORE_ID = "live-events";
  var CHECK_MS = 1000;
  var FLUSH_MS = 400;
  var flushTimer = null;
  var lastEventId = null;
  var source = null;
  var alerts = []; // ids of alerts that fired or changed since the Overview opened
  var events = 0;

  function publish(event) {
    events += 1;
    if (event.type === "alert") {
      try {
        var payload = JSON.parse(event.data);
        var id = payload.alert_id;
        if (id !== undefined && alerts.indexOf(id) === -1) {
          alerts.push(id);
        }
      } catch (ignored) {
        // A payload that is not JSON still refreshes the panels below.
      }
    }
    lastEventId = event.lastEventId;
    // An ingest run can bring dozens of transitions at once: refresh once per burst.
    if (flushTimer === null) {
      flushTimer = window.setTimeout(flush, FLUSH_MS);
    }
  }

  function flush() {
    flushTimer = null;
    if (source !== null && window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(STORE_ID, {
        data: { events: events, alerts: alerts.slice(), last_event_id: lastEventId },
      });
    }
  }

  function open() {
    source = new EventSource("/live");
    source.addEventListener("alert", publish);
    source.addEventListener("ingest_run", publish);
    source.addEventListener("demo_cleared", publish);
  }

  function close() {
    if (source !== null) {
      source.close();
      source = null;
    }
    alerts = [];
    events = 0;
  }

  function sync() {
    var shown = document.getElementById(NOTICE_ID) !== null;
    // CLOSED: the browser gave up (e.g. the sign-in expired); try again on the next check.
    if (source !== null && (!shown || source.readyState === EventSource.CLOSED)) {
      close();
    }
    if (shown && source === null) {
      open();
    }
  }

  window.setInterval(sync, CHECK_MS);
  window.addEventListener("pagehide", close);
})();
