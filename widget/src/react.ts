/** Thin React binding: `<BugPortWidget publicKey="bp_pub_…" />` mounts the core widget. */

import { useEffect, useRef } from "react";

import { type BugPortOptions, type BugPortWidget as Widget, init } from "./index";

export type BugPortWidgetProps = BugPortOptions;

export function BugPortWidget(props: BugPortWidgetProps): null {
  const widget = useRef<Widget | null>(null);
  const { publicKey, apiBaseUrl } = props;
  useEffect(() => {
    widget.current = init(props);
    return () => {
      widget.current?.destroy();
      widget.current = null;
    };
    // Re-mount only when the key or the API changes; identity and metadata update in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [publicKey, apiBaseUrl]);
  useEffect(() => {
    if (props.reporter) widget.current?.identify(props.reporter);
  }, [props.reporter?.id, props.reporter?.name, props.reporter?.email]);
  useEffect(() => {
    widget.current?.setMetadata(props.metadata || {});
  }, [JSON.stringify(props.metadata || {})]);
  return null;
}

export default BugPortWidget;
