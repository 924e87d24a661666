// The administration pages, one chunk loaded on demand (the inbox's first load stays small).
export { SettingsLayout } from "./SettingsLayout";
export { MembersPage } from "./MembersPage";
export { InvitePage } from "./InvitePage";
export { ProjectsPage } from "./ProjectsPage";
export { TokensPage } from "./TokensPage";
export { AuditPage } from "./AuditPage";
export { BillingPage } from "./BillingPage";
export { IntegrationsPage } from "./IntegrationsPage";
export { OAuthCallbackPage } from "./OAuthCallbackPage";
export { WorkspacePage } from "./WorkspacePage";
export { ProfilePage } from "./ProfilePage";
