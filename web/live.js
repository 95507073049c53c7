// live.js: live updates from GET /api/v1/stream (Server-Sent Events).
//
// The server sends "decision" events (a new message was judged) and "incident" events (one
// was raised or changed). The dashboard does not redraw under the analyst's hands: it counts
// what arrived and shows a button in the header; pressing it redraws the current page. The
// stream is closed on logout (a reconnect would only meet 401s) and reopened on sign-in.

let source = null;
let count = 0;
let onChange = () => {};

function update() {
  onChange(count);
}

export function startLive(changed) {
  stopLive();
  onChange = changed;
  source = new EventSource('/api/v1/stream', { withCredentials: true });
  for (const kind of ['decision', 'incident']) {
    source.addEventListener(kind, () => {
      count += 1;
      update();
    });
  }
}

export function stopLive() {
  if (source) source.close();
  source = null;
  count = 0;
  update();
}

export function seen() {
  count = 0;
  update();
}
