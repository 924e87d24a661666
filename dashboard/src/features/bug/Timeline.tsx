import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { ActivityEntry, Comment, Member } from "../../api/client";
import { memberName } from "../../app/workspace";
import { Markdown } from "../../ui/Markdown";
import { ErrorNote } from "../../ui/states";
import { age, fullTime } from "../../ui/time";
import { STATUS_LABEL } from "../../ui/Badge";
import { useAddComment, useDeleteComment, useEditComment } from "./api";

type Item = { kind: "comment"; at: string; comment: Comment } | { kind: "activity"; at: string; entry: ActivityEntry };

function str(v: unknown): string {
  if (v == null) return "none";
  if (Array.isArray(v)) return v.map(String).join(", ");
  return String(v);
}

function describe(e: ActivityEntry, name: (id: unknown) => string): string {
  const p = e.payload as Record<string, unknown>;
  const val = (x: unknown) => (typeof x === "string" && STATUS_LABEL[x]) || str(x);
  switch (e.type) {
    case "created":
      return `reported this via ${str(p.source)}`;
    case "status_changed":
      return `changed status from ${val(p.from)} to ${val(p.to)}`;
    case "severity_changed":
      return `changed severity from ${str(p.from)} to ${str(p.to)}`;
    case "priority_changed":
      return `changed priority from ${str(p.from)} to ${str(p.to)}`;
    case "assignee_changed":
      return p.to ? `assigned ${name(p.to)}` : "removed the assignee";
    case "labels_changed": {
      const parts = [];
      if (Array.isArray(p.added) && p.added.length) parts.push(`added ${str(p.added)}`);
      if (Array.isArray(p.removed) && p.removed.length) parts.push(`removed ${str(p.removed)}`);
      return `labels: ${parts.join("; ") || "changed"}`;
    }
    case "title_edited":
      return `renamed this from “${str(p.from)}” to “${str(p.to)}”`;
    case "description_edited":
      return "edited the description";
    case "repro_steps_edited":
      return "edited the steps to reproduce";
    case "metadata_changed":
      return "changed the metadata";
    case "comment_edited":
      return "edited a comment";
    case "comment_deleted":
      return "deleted a comment";
    case "media_attached":
      return "attached media";
    case "share_link_created":
      return "created a share link";
    case "share_link_revoked":
      return "revoked a share link";
    case "tracker_pushed":
      return "pushed this to a tracker";
    case "marked_duplicate":
      return `marked this a duplicate of ${str(p.key)}`;
    case "unmarked_duplicate":
      return p.key ? `unmarked this as a duplicate of ${str(p.key)}` : "unmarked this as a duplicate";
    case "duplicate_added":
      return `marked ${str(p.key)} a duplicate of this`;
    case "duplicate_removed":
      return `unmarked ${str(p.key)} as a duplicate of this`;
    default:
      return e.type.replace(/_/g, " ");
  }
}

/** Comments and activity, oldest first, merged on one timeline; the composer under it. */
export function Timeline({
  bugId,
  comments,
  activity,
  members,
  meId,
  canWrite,
  isAdmin,
}: {
  bugId: string;
  comments: Comment[];
  activity: ActivityEntry[];
  members: Member[];
  meId: string | null;
  canWrite: boolean;
  isAdmin: boolean;
}) {
  const byId = useMemo(() => new Map(members.map((m) => [m.user_id, m])), [members]);
  const name = (id: unknown) => (typeof id === "string" ? memberName(byId.get(id)) : "someone");
  const items: Item[] = useMemo(() => {
    const list: Item[] = [
      ...comments.map((c): Item => ({ kind: "comment", at: c.created_at, comment: c })),
      ...activity.filter((a) => a.type !== "commented").map((a): Item => ({ kind: "activity", at: a.created_at, entry: a })),
    ];
    return list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }, [comments, activity]);

  return (
    <section className="timeline" aria-label="Activity and comments">
      <h2>Activity</h2>
      <ol className="timeline-list">
        {items.map((it) =>
          it.kind === "comment" ? (
            <CommentItem
              key={`c-${it.comment.id}`}
              bugId={bugId}
              comment={it.comment}
              author={name(it.comment.author_id)}
              mine={!!meId && it.comment.author_id === meId}
              canDelete={(!!meId && it.comment.author_id === meId) || isAdmin}
            />
          ) : (
            <li key={`a-${it.entry.id}`} className="activity" data-testid="activity">
              <span className="who">{it.entry.actor.user_id ? name(it.entry.actor.user_id) : it.entry.actor.label || it.entry.actor.kind}</span>{" "}
              {describe(it.entry, name)}{" "}
              <time className="muted" dateTime={it.entry.created_at} title={fullTime(it.entry.created_at)}>
                {age(it.entry.created_at)}
              </time>
            </li>
          ),
        )}
      </ol>
      {canWrite && <Composer bugId={bugId} members={members} />}
    </section>
  );
}

function CommentItem({ bugId, comment, author, mine, canDelete }: { bugId: string; comment: Comment; author: string; mine: boolean; canDelete: boolean }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(comment.body);
  const edit = useEditComment(bugId);
  const del = useDeleteComment(bugId);
  return (
    <li className="comment" data-testid="comment">
      <div className="comment-head">
        <strong>{author}</strong>{" "}
        <time className="muted" dateTime={comment.created_at} title={fullTime(comment.created_at)}>
          {age(comment.created_at)}
        </time>
        {comment.edited_at && <span className="muted"> (edited)</span>}
        <span className="spacer" />
        {mine && !editing && (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        {canDelete && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => window.confirm("Delete this comment?") && del.mutate(comment.id)}
            disabled={del.isPending}
          >
            Delete
          </button>
        )}
      </div>
      {editing ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            edit.mutate({ id: comment.id, body: text }, { onSuccess: () => setEditing(false) });
          }}
        >
          <textarea className="input" aria-label="Edit comment" value={text} onChange={(e) => setText(e.target.value)} rows={3} />
          <div className="row">
            <button className="btn btn-primary btn-small" type="submit" disabled={edit.isPending}>
              Save
            </button>
            <button className="btn btn-small" type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <Markdown text={comment.body} className="comment-body" />
      )}
      {edit.isError && <ErrorNote error={edit.error} />}
      {del.isError && <ErrorNote error={del.error} />}
    </li>
  );
}

const draftKey = (bugId: string) => `bugport.draft.${bugId}`;

/** The comment box: Markdown, @mention autocomplete of members, a draft kept per bug until sent. */
function Composer({ bugId, members }: { bugId: string; members: Member[] }) {
  const [text, setText] = useState(() => localStorage.getItem(draftKey(bugId)) ?? "");
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [pick, setPick] = useState(0);
  const ref = useRef<HTMLTextAreaElement>(null);
  // Where the caret goes after a mention is picked: set in the same commit as the new text (not
  // a frame later, when the next typed characters would already be in and land after it).
  const pendingCaret = useRef<number | null>(null);
  const add = useAddComment(bugId);
  useLayoutEffect(() => {
    const pos = pendingCaret.current;
    if (pos == null) return;
    pendingCaret.current = null;
    ref.current?.focus();
    ref.current?.setSelectionRange(pos, pos);
  }, [text]);

  useEffect(() => {
    try {
      if (text) localStorage.setItem(draftKey(bugId), text);
      else localStorage.removeItem(draftKey(bugId));
    } catch {
      // storage full or disabled
    }
  }, [bugId, text]);

  const options = useMemo(() => {
    if (!mention) return [];
    const q = mention.query.toLowerCase();
    return members.filter((m) => m.email && (`${m.name ?? ""} ${m.email}`.toLowerCase().includes(q))).slice(0, 6);
  }, [mention, members]);

  const onChange = (value: string, caret: number) => {
    setText(value);
    const m = /(^|\s)@([^\s@]*)$/.exec(value.slice(0, caret));
    setMention(m ? { start: caret - m[2]!.length - 1, query: m[2]! } : null);
    setPick(0);
  };
  const choose = (m: Member) => {
    if (!mention || !m.email) return;
    const caret = mention.start + 1 + mention.query.length;
    const next = `${text.slice(0, mention.start)}@${m.email} ${text.slice(caret)}`;
    pendingCaret.current = mention.start + m.email.length + 2;
    setText(next);
    setMention(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention && options.length) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        setPick((pick + 1) % options.length);
        return;
      }
      if (e.key === "ArrowUp") {
        e.preventDefault();
        setPick((pick - 1 + options.length) % options.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        choose(options[pick]!);
        return;
      }
      if (e.key === "Escape") {
        setMention(null);
        return;
      }
    }
    if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) {
      e.preventDefault();
      submit();
    }
  };
  const submit = () => {
    const body = text.trim();
    if (!body || add.isPending) return;
    add.mutate(body, { onSuccess: () => setText("") });
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="comment-box">Comment</label>
      <div className="composer-box">
        <textarea
          id="comment-box"
          ref={ref}
          className="input"
          rows={3}
          value={text}
          placeholder="Write a comment — Markdown, @ to mention"
          onChange={(e) => onChange(e.target.value, e.target.selectionStart)}
          onKeyDown={onKeyDown}
          aria-autocomplete="list"
          aria-controls="mention-list"
          aria-expanded={!!mention && options.length > 0}
        />
        {mention && options.length > 0 && (
          <ul id="mention-list" className="mentions" role="listbox" aria-label="Mention a member">
            {options.map((m, i) => (
              <li
                key={m.user_id}
                role="option"
                aria-selected={i === pick}
                className={i === pick ? "is-active" : ""}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(m);
                }}
              >
                {memberName(m)} <span className="muted">{m.email}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {add.isError && <ErrorNote error={add.error} />}
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={add.isPending || !text.trim()}>
          {add.isPending ? "Sending…" : "Comment"}
        </button>
        <span className="hint">Ctrl+Enter to send. Your draft is kept if sending fails.</span>
      </div>
    </form>
  );
}
