"""Similar bugs: for a filed bug or a draft, the visible bugs most likely to be the same report.

Candidates come from four index lookups, each bounded: the newest bugs with the same
fingerprint, with the same failing request, with the same console error, and the newest
full-text matches of the title and description's words (PostgreSQL: the `search_vector` GIN
index and `ts_rank`; SQLite: FTS5 and `bm25`). They are scored in Python, strongest signal
first: same fingerprint, then a shared request or error, then text (word overlap of the titles,
plus the engine's rank). Every result carries the reasons a person reads. docs/similar.md.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal_column, table
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.bug import captures, writer
from bugport.bug.schemas import Bug as BugOut
from bugport.bug.schemas import Fingerprint as FingerprintOut
from bugport.models import Bug, Project
from bugport.similar import fingerprint
from bugport.similar.schemas import DraftSimilar, SimilarBug, SimilarList

SAME_FINGERPRINT_CANDIDATES = 20
SHARED_PART_CANDIDATES = 10
TEXT_CANDIDATES = 300
MAX_TERMS = 12

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about which failure a report is about.
STOPWORDS = frozenset(
    """a an and are as at be been but by can cannot cant could did do does doesnt dont for from
    get gets got had has have how i if in into is isnt it its just me my no not of on or our out
    please so some that the their then there this to too up was wasnt we were what when where
    which while who why will with wont work works working would you your bug bugs issue problem
    error errors page app site website broken again still every time times after before get""".split()
)


def terms(*texts: str | None) -> list[str]:
    out: list[str] = []
    for text in texts:
        for word in _WORD.findall((text or "").lower()[:2000]):
            if len(word) >= 3 and word not in STOPWORDS and not word.isdigit() and word not in out:
                out.append(word)
    return out[:MAX_TERMS]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _overlap(a: list[str], b: list[str]) -> float:
    sa, sb = {_stem(w) for w in a}, {_stem(w) for w in b}
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


@dataclass
class _Candidate:
    bug_id: uuid.UUID
    score: float = 0.0
    reasons: list[tuple[float, str]] = field(default_factory=list)

    def add(self, weight: float, reason: str) -> None:
        self.score += weight
        self.reasons.append((weight, reason))


@dataclass(frozen=True)
class Source:
    workspace_id: uuid.UUID
    exclude_id: uuid.UUID | None
    fp: fingerprint.Fingerprint
    title: str | None
    description: str | None


def _failure_reason(fp: fingerprint.Fingerprint) -> str:
    if fp.request and fp.hash == fingerprint.digest("request", fp.request):
        return f"same failing request {fp.request}"
    return f"same console error {fp.error}"


async def for_bug(
    session: AsyncSession, principal: Principal, bug_id: uuid.UUID, limit: int
) -> SimilarList:
    bug = await authz.fetch_visible(session, principal, Bug, bug_id)
    source = Source(
        workspace_id=bug.workspace_id,
        exclude_id=bug.id,
        fp=fingerprint.Fingerprint(bug.fingerprint, bug.fp_request, bug.fp_error),
        title=bug.title,
        description=bug.description,
    )
    return await rank(session, principal, source, limit)


async def for_draft(
    session: AsyncSession, principal: Principal, draft: DraftSimilar
) -> SimilarList:
    """A draft is fingerprinted as it would be at ingest: through its project's redaction."""
    project = await authz.fetch_visible(session, principal, Project, draft.project_id)
    await authz.require_role(session, principal, project.workspace_id, "bug.read")
    red = writer.redactor_for(project)
    logs = captures.log_entries(draft.logs, red)
    network = captures.network_entries(draft.network, red)
    source = Source(
        workspace_id=project.workspace_id,
        exclude_id=None,
        fp=fingerprint.of_captures(logs, network, red.url("page_url", draft.page_url)),
        title=red.text("title", draft.title),
        description=red.text("description", draft.description),
    )
    return await rank(session, principal, source, draft.limit)


async def rank(
    session: AsyncSession, principal: Principal, source: Source, limit: int
) -> SimilarList:
    scope, _ = await authz.in_workspace(session, principal, Bug, source.workspace_id, "bug.read")
    if source.exclude_id is not None:
        scope = scope.where(Bug.id != source.exclude_id)
    found: dict[uuid.UUID, _Candidate] = {}
    loaded: dict[uuid.UUID, Bug] = {}

    def candidate(bug_id: uuid.UUID) -> _Candidate:
        return found.setdefault(bug_id, _Candidate(bug_id))

    async def newest(condition: Any, n: int) -> list[Bug]:
        stmt = scope.where(condition).order_by(Bug.created_at.desc(), Bug.id.desc()).limit(n)
        rows = list((await session.execute(stmt)).scalars())
        loaded.update({b.id: b for b in rows})
        return rows

    fp = source.fp
    same_count = 0
    if fp.hash:
        for b in await newest(Bug.fingerprint == fp.hash, SAME_FINGERPRINT_CANDIDATES):
            candidate(b.id).add(10.0, _failure_reason(fp))
        counted = scope.where(Bug.fingerprint == fp.hash).with_only_columns(func.count())
        same_count = int((await session.execute(counted)).scalar_one()) + (
            1 if source.exclude_id is not None else 0
        )
    if fp.request:
        for b in await newest(Bug.fp_request == fp.request, SHARED_PART_CANDIDATES):
            if b.fingerprint != fp.hash:
                candidate(b.id).add(6.0, f"same failing request {fp.request}")
    if fp.error:
        for b in await newest(Bug.fp_error == fp.error, SHARED_PART_CANDIDATES):
            if b.fingerprint != fp.hash or fp.request:
                candidate(b.id).add(5.0, f"same console error {fp.error}")
    title_terms = terms(source.title)
    words = terms(source.title, source.description)
    if words:
        hits = await _text_candidates(session, scope, words)
        best = max((r for _, _, r in hits), default=0.0) or 1.0
        for bug_id, title, text_rank in hits:
            title_overlap = _overlap(title_terms, terms(title))
            text_score = 0.7 * title_overlap + 0.3 * (text_rank / best)
            if text_score < 0.15:
                continue
            reason = "similar title" if title_overlap >= 0.3 else "similar words"
            candidate(bug_id).add(4.0 * text_score, reason)
    for c in found.values():
        seen = loaded.get(c.bug_id)
        if seen is not None and seen.duplicate_of_id is None:
            c.score += 0.25  # the canonical report before its duplicates
    top = sorted(found.values(), key=lambda c: (-c.score, str(c.bug_id)))
    missing = [c.bug_id for c in top[:limit] if c.bug_id not in loaded]
    if missing:
        rows = (await session.execute(scope.where(Bug.id.in_(missing)))).scalars()
        loaded.update({r.id: r for r in rows})
    data = []
    for c in top:
        hit = loaded.get(c.bug_id)
        if hit is None:
            continue
        reasons = list(dict.fromkeys(r for _, r in sorted(c.reasons, key=lambda x: -x[0])))
        if hit.duplicate_of_id is not None:
            reasons.append("marked a duplicate")
        data.append(
            SimilarBug(
                bug=BugOut.of(hit), score=round(c.score, 4), reason=reasons[0], reasons=reasons
            )
        )
        if len(data) == limit:
            break
    return SimilarList(
        data=data,
        fingerprint=FingerprintOut(hash=fp.hash, request=fp.request, error=fp.error)
        if fp.hash
        else None,
        same_failure_count=same_count,
    )


async def _text_candidates(
    session: AsyncSession, scope: Select[Any], words: list[str]
) -> list[tuple[uuid.UUID, str, float]]:
    """The newest visible bugs whose text matches any of the words, with the engine's rank."""
    if session.get_bind().dialect.name == "postgresql":
        query = func.to_tsquery("english", " | ".join(words))
        vector: Any = literal_column("bugs.search_vector")
        stmt = (
            scope.where(vector.op("@@")(query))
            .with_only_columns(Bug.id, Bug.title, func.ts_rank(vector, query))
            .order_by(Bug.created_at.desc())
            .limit(TEXT_CANDIDATES)
        )
    else:
        fts = table("bugs_fts")
        match = " OR ".join(f'"{w}"' for w in words)
        stmt = (
            scope.join(fts, literal_column("bugs_fts.rowid") == literal_column("bugs.rowid"))
            .where(literal_column("bugs_fts").op("MATCH")(match))
            .with_only_columns(Bug.id, Bug.title, -func.bm25(literal_column("bugs_fts")))
            .order_by(Bug.created_at.desc())
            .limit(TEXT_CANDIDATES)
        )
    return [(i, t, float(r or 0.0)) for i, t, r in (await session.execute(stmt)).all()]
