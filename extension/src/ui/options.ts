// Options: the server, connecting (the dashboard hands over a session), sign-out, what is
// captured, and drafts waiting to be sent.
import { allDrafts, deleteDraft } from "../shared/drafts";
import { getSession, getSettings, normalizeServer, recentlySent, saveSettings, sessionExpired, setSession, MAX_RECORD_SECONDS } from "../shared/settings";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $(id) as HTMLInputElement;

/** Hosts other than loopback need a host permission, asked for when the user saves them. */
async function allowHost(origin: string): Promise<boolean> {
  const pattern = `${origin}/*`;
  if (await chrome.permissions.contains({ origins: [pattern] })) return true;
  return chrome.permissions.request({ origins: [pattern] });
}

async function render(): Promise<void> {
  const settings = await getSettings();
  const session = await getSession();
  input("server").value = settings.server;
  $("api").textContent = normalizeServer(settings.server).api;
  const ok = session && !sessionExpired(session);
  $("account").textContent = session
    ? ok
      ? `Connected as ${session.email ?? session.user_id ?? "you"} to ${session.server}.`
      : `The session for ${session.email ?? "you"} has expired: connect again (drafts are kept).`
    : "Not connected.";
  $("connect").textContent = session ? "Reconnect" : "Connect to BugPort";
  $("signout").hidden = !session;
  input("cap-console").checked = settings.capture.console;
  input("cap-network").checked = settings.capture.network;
  input("cap-bodies").checked = settings.capture.bodies;
  input("cap-bodies").disabled = !settings.capture.network;
  input("cap-actions").checked = settings.capture.actions;
  input("keep-original").checked = settings.keepOriginal;
  input("max-record").value = String(settings.maxRecordSeconds);
  const drafts = (await allDrafts()).filter((d) => d.body);
  $("drafts").replaceChildren(
    ...drafts.map((d) => {
      const li = document.createElement("li");
      const open = Object.assign(document.createElement("a"), { href: `capture.html#${d.id}`, target: "_blank", textContent: d.form.title || "(untitled)" });
      const why = Object.assign(document.createElement("span"), { className: "muted", textContent: ` — ${d.status}${d.error ? `: ${d.error.message}` : ""} ` });
      const drop = Object.assign(document.createElement("button"), { type: "button", className: "btn", textContent: "Discard" });
      drop.addEventListener("click", () => void deleteDraft(d.id).then(render));
      li.append(open, why, drop);
      return li;
    }),
  );
  if (!drafts.length) $("drafts").replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: "None." }));
  $("sent").replaceChildren(
    ...(await recentlySent()).map((s) => {
      const li = document.createElement("li");
      li.append(Object.assign(document.createElement("a"), { href: s.url, target: "_blank", rel: "noopener", textContent: `${s.key}: ${s.title}` }));
      return li;
    }),
  );
}

$("server-form").addEventListener("submit", (e) => {
  e.preventDefault();
  let server: ReturnType<typeof normalizeServer>;
  try {
    server = normalizeServer(input("server").value);
  } catch (err) {
    $("server-state").textContent = err instanceof Error ? err.message : String(err);
    return;
  }
  // permissions.request must run in the click's task: no await before it.
  const loopback = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(server.origin);
  const granted = loopback ? Promise.resolve(true) : allowHost(server.origin);
  void granted.then(async (ok) => {
    if (!ok) {
      $("server-state").textContent = `Without access to ${server.origin} the extension cannot reach that server.`;
      return;
    }
    const before = await getSession();
    await saveSettings({ server: server.base });
    if (before && normalizeServer(before.server).base !== server.base) await setSession(null);
    $("server-state").textContent = `Saved: ${server.base}`;
    await render();
  });
});

$("connect").addEventListener("click", () => void chrome.runtime.sendMessage({ type: "connect.begin" }));
$("signout").addEventListener("click", () => void setSession(null).then(render));
$("retry").addEventListener("click", () => void chrome.runtime.sendMessage({ type: "drafts.retry" }).then(render));

for (const id of ["cap-console", "cap-network", "cap-bodies", "cap-actions", "keep-original", "max-record"]) {
  $(id).addEventListener("change", () => {
    const seconds = Math.min(Math.max(Number(input("max-record").value) || 120, 5), MAX_RECORD_SECONDS);
    void saveSettings({
      capture: { console: input("cap-console").checked, network: input("cap-network").checked, bodies: input("cap-bodies").checked, actions: input("cap-actions").checked },
      keepOriginal: input("keep-original").checked,
      maxRecordSeconds: seconds,
    }).then(async () => {
      $("saved").textContent = "Saved.";
      await render();
    });
  });
}

chrome.storage.onChanged.addListener(() => void render());
void render();
