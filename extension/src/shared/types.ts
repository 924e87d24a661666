// API types come from the dashboard's generated schema (openapi-typescript over BugPort's own
// /v1/openapi.json): one generated file, checked for staleness by tests/dashboard/test_api_types.py.
import type { components, paths } from "../../../dashboard/src/api/schema";

export type { paths };
export type Schemas = components["schemas"];
export type CaptureCreate = Schemas["CaptureCreate"];
export type CaptureAttachment = Schemas["CaptureAttachment"];
export type Capture = Schemas["Capture"];
export type LogIn = Schemas["LogIn"];
export type NetworkIn = Schemas["NetworkIn"];
export type Environment = Schemas["Environment"];
export type Project = Schemas["Project"];
export type Media = Schemas["Media"];
export type UploadUrl = Schemas["UploadUrl"];

/** One user action before the report (repro steps). Typed values are never kept. */
export interface Action {
  type: "navigate" | "click" | "input" | "change" | "submit" | "key";
  /** A short CSS-like description of the element (`button#pay "Pay now"`). */
  target?: string;
  /** navigate: the (redacted) URL. input: `•••` plus the length. change: checked state. */
  detail?: string;
  timestamp: string;
}

/** What the page script hands over on capture (all of it already redacted in the page). */
export interface PageSnapshot {
  page_url: string;
  title: string;
  environment: Environment;
  logs: LogIn[];
  network: NetworkIn[];
  actions: Action[];
  /** When the page script started recording (document start). */
  started_at: string;
  taken_at: string;
}

export interface CaptureSettings {
  console: boolean;
  network: boolean;
  bodies: boolean;
  actions: boolean;
}
