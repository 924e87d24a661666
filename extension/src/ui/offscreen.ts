// The offscreen document (reason USER_MEDIA): records the tab stream the worker obtained with
// chrome.tabCapture, optionally mixed with the microphone, as WebM via MediaRecorder, up to the
// length limit. The video goes straight into the draft (IndexedDB is shared with the worker).
import { updateDraft } from "../shared/drafts";

let recorder: MediaRecorder | null = null;
let stopTimer: ReturnType<typeof setTimeout> | null = null;

interface Start {
  streamId: string;
  draftId: string;
  mic: boolean;
  limitSeconds: number;
  startedAt: string;
}

/** Resolves when the tab stream delivers its first frame (a busy machine can take a moment; a
 * recorder started before that records nothing), or after 5 s. */
function firstFrame(stream: MediaStream): Promise<void> {
  const video = document.createElement("video");
  video.muted = true;
  video.srcObject = stream;
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      video.srcObject = null;
      resolve();
    };
    const timer = setTimeout(done, 5000);
    video.requestVideoFrameCallback(() => done());
    void video.play().catch(done);
  });
}

/** Starts recording; answers the moment the recorder started (the video's time zero). */
async function start(m: Start): Promise<string> {
  const tab = await navigator.mediaDevices.getUserMedia({
    audio: { mandatory: { chromeMediaSource: "tab", chromeMediaSourceId: m.streamId } } as MediaTrackConstraints,
    video: { mandatory: { chromeMediaSource: "tab", chromeMediaSourceId: m.streamId, maxFrameRate: 15 } } as MediaTrackConstraints,
  });
  const audio = new AudioContext();
  const mixed = audio.createMediaStreamDestination();
  if (tab.getAudioTracks().length) {
    const src = audio.createMediaStreamSource(tab);
    src.connect(mixed);
    src.connect(audio.destination); // capturing mutes the tab: keep it audible
  }
  let micStream: MediaStream | null = null;
  if (m.mic) {
    try {
      micStream = await navigator.mediaDevices.getUserMedia({ audio: true });
      audio.createMediaStreamSource(micStream).connect(mixed);
    } catch {
      micStream = null; // no permission: record without the microphone
    }
  }
  const stream = new MediaStream([...tab.getVideoTracks(), ...mixed.stream.getAudioTracks()]);
  await firstFrame(tab);
  const type = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t)) ?? "video/webm";
  const chunks: Blob[] = [];
  const rec = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_500_000 });
  recorder = rec;
  let t0 = Date.now();
  rec.ondataavailable = (e) => {
    if (e.data.size) chunks.push(e.data);
  };
  rec.onstop = () => {
    if (stopTimer) clearTimeout(stopTimer);
    for (const t of [...tab.getTracks(), ...(micStream?.getTracks() ?? [])]) t.stop();
    void audio.close();
    recorder = null;
    const video = new Blob(chunks, { type: "video/webm" });
    void (async () => {
      let error: string | undefined;
      try {
        if (!video.size) throw new Error("the recording is empty");
        await updateDraft(m.draftId, (d) => {
          d.video = video;
        });
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      await chrome.runtime.sendMessage({
        type: "record.done",
        draftId: m.draftId,
        startedAt: new Date(t0).toISOString(),
        durationMs: Date.now() - t0,
        mic: Boolean(micStream),
        error,
      });
    })();
  };
  rec.start(1000);
  t0 = Date.now();
  stopTimer = setTimeout(() => rec.state !== "inactive" && rec.stop(), m.limitSeconds * 1000);
  return new Date(t0).toISOString();
}

chrome.runtime.onMessage.addListener((msg: Record<string, unknown>, _sender, reply) => {
  if (msg.target !== "offscreen") return false;
  if (msg.type === "record.start") {
    start(msg as unknown as Start).then(
      (startedAt) => reply({ ok: true, startedAt }),
      (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
    return true;
  }
  if (msg.type === "record.stop") {
    if (recorder && recorder.state !== "inactive") recorder.stop();
    reply({ ok: true });
  }
  return false;
});
