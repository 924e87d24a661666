/** The API's limits for a capture (bugport/bug/schemas.py; tests/extension/test_build.py checks
 * these against the server's values). A capture is cut to fit before it is sent. */
export const API_LIMITS = {
  maxRequestBytes: 4 * 1024 * 1024,
  maxLogs: 1000,
  maxNetwork: 500,
  maxLogsBytes: 1024 * 1024,
  maxNetworkBytes: 2 * 1024 * 1024,
  maxBodyChars: 64 * 1024,
  maxHeaders: 100,
  maxMessageChars: 10_000,
  maxStackChars: 20_000,
  maxUrlChars: 8192,
  maxReproStepsChars: 20_000,
  maxTitleChars: 300,
  maxDescriptionChars: 50_000,
} as const;

/** What the page keeps in memory (ring buffers): the last entries of the last minutes. */
export const BUFFER = {
  windowMs: 5 * 60 * 1000,
  logs: 500,
  network: 200,
  actions: 100,
  /** Per body kept in the page; the capture is trimmed again to the API's totals. */
  bodyChars: 16 * 1024,
} as const;
