// Route code loaded on demand (kept out of the first load), and fetched early where it helps.
export const loadBugPage = () => import("../features/bug/BugPage");
export const loadSharePage = () => import("../features/share/SharePage");
