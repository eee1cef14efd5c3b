"""Identity resolution actions: scan for duplicates, keep the blocking keys, check at creation,
decide on a candidate. The scoring itself is pure (``kehu.customers.matching``)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import linkage, matching
from ..models import Contact, Customer
from ..models.matching import DuplicateCandidate, MatchKey, MatchScan

Kind = DuplicateCandidate.Kind
#: The creation-time check shows records at or above this score.
CHECK_THRESHOLD = 0.60
#: More changed records than this since the last scan: the nightly run scans everything.
INCREMENTAL_LIMIT = 5000
#: Keys shared by more records than this are ignored by look-ups (too common to tell anything).
KEY_LOOKUP_CAP = 500
#: … and by an import's rows, more than this (a row costs what its keys' records cost; a pair
#: that shares only over-common keys is the scan's to find, as its window does)
IMPORT_KEY_CAP = 100
#: the most records an import's row is compared with: those sharing the most keys with it
IMPORT_CANDIDATES = 12


#: blocking keys that say something on their own: phone, e-mail, address, birth date (the
#: second character of a key is its kind, ``matching.blocking_keys``)
STRONG_KEYS = frozenset("tedb")


def nearest(hits: Iterable[tuple[str, int]], limit: int) -> list[int]:
    """Of ``(key, id)`` hits, the ids sharing the most keys with a probe — at least two, or
    one strong key (a phone, an e-mail, an address, a birth date) — at most ``limit``, ties
    by id. A duplicate shares several keys (name, initials, town and name, phone …); a stranger
    one common one (the town and a first character), and is not worth a comparison."""
    counts: dict[int, int] = {}
    for key, i in hits:
        counts[i] = counts.get(i, 0) + (2 if key[1:2] in STRONG_KEYS else 1)
    wanted = [i for i, c in counts.items() if c >= 2]
    if len(wanted) <= limit:
        return sorted(wanted)
    return sorted(sorted(wanted, key=lambda i: (-counts[i], i))[:limit])


CUSTOMER_VALUES = (
    "id",
    "name",
    "kind",
    "phone",
    "fax",
    "email",
    "city",
    "address",
    "postcode",
    "birthday",
)
CONTACT_VALUES = (
    "id",
    "name",
    "mobile",
    "office_phone",
    "home_phone",
    "email",
    "birthday",
    "customer_id",
    "customer__name",
)


def kind_of(model: type[Model]) -> str:
    if model is Customer:
        return Kind.CUSTOMER
    if model is Contact:
        return Kind.CONTACT
    raise ValueError(f"no duplicate matching for {model!r}")


def model_of(kind: str) -> type[Model]:
    return Customer if kind == Kind.CUSTOMER else Contact


def profile_of(kind: str, row: dict) -> matching.Profile:
    """A profile from a values() row or a form's cleaned data (ids, not instances)."""
    if kind == Kind.CUSTOMER:
        pkind = (
            matching.INDIVIDUAL if row.get("kind") == Customer.Kind.INDIVIDUAL else matching.COMPANY
        )
        return matching.make_profile(row, kind=pkind, id=row.get("id"))
    return matching.make_profile(
        row,
        kind=matching.CONTACT,
        id=row.get("id"),
        customer_name=row.get("customer__name") or "",
    )


def load_profiles(kind: str, qs=None, *, chunk: int = 5000) -> list[matching.Profile]:
    """Profiles of every record of ``qs`` (default: all of the kind), read in id chunks."""
    model = model_of(kind)
    qs = model.objects.all() if qs is None else qs
    fields = CUSTOMER_VALUES if kind == Kind.CUSTOMER else CONTACT_VALUES
    out: list[matching.Profile] = []
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values(*fields)[:chunk])
        if not rows:
            return out
        out.extend(profile_of(kind, row) for row in rows)
        last = rows[-1]["id"]


def _store_keys(kind: str, profiles: Iterable[matching.Profile]) -> None:
    MatchKey.objects.bulk_create(
        [MatchKey(kind=kind, object_id=p.id, key=k[:120]) for p in profiles for k in p.keys],
        batch_size=5000,
    )


@transaction.atomic
def refresh_keys(*, kind: str, ids: Iterable[int]) -> list[matching.Profile]:
    """Recompute the blocking keys of some records (after a save, an import, a merge)."""
    ids = list(ids)
    profiles: list[matching.Profile] = []
    for start in range(0, len(ids), 2000):  # bounded IN lists (SQLite's parameter limit)
        chunk = ids[start : start + 2000]
        MatchKey.objects.filter(kind=kind, object_id__in=chunk).delete()
        found = load_profiles(kind, model_of(kind).objects.filter(pk__in=chunk))
        _store_keys(kind, found)
        profiles.extend(found)
    return profiles


def _pair_fields(kind: str, a: int, b: int) -> dict:
    a, b = min(a, b), max(a, b)
    if kind == Kind.CUSTOMER:
        return {"kind": kind, "customer_a_id": a, "customer_b_id": b}
    return {"kind": kind, "contact_a_id": a, "contact_b_id": b}


def _names(kind: str, ids: set[int]) -> dict[int, str]:
    """{id: name} of the records of some pairs, read in chunks (the audit entries' labels)."""
    model, out, ordered = model_of(kind), {}, sorted(ids)
    for start in range(0, len(ordered), 2000):
        chunk = ordered[start : start + 2000]
        out.update(model._base_manager.filter(pk__in=chunk).values_list("pk", "name"))
    return out


@transaction.atomic
def store_candidates(
    *, kind: str, found: Iterable[tuple[matching.Profile, matching.Profile, matching.Score]]
) -> int:
    """Add new pairs (audited), refresh the score of open ones; decided pairs stay decided."""
    wanted = {(min(a.id, b.id), max(a.id, b.id)): score for a, b, score in found if a.id and b.id}
    return store_pairs(kind=kind, pairs=wanted)


#: fewer records than this in the pairs: the stored pairs are read by id, else all of the kind
PAIR_LOOKUP_IDS = 2000


@transaction.atomic
def store_pairs(*, kind: str, pairs: dict[tuple[int, int], matching.Score]) -> int:
    """``{(lower id, higher id): score}``: new pairs are created in bulk, each with its audit
    entry labelled from one read of the records' names (no query per pair); open pairs get the
    new score. Returns how many pairs were created."""
    from kehu.core.actions import bulk_create_audited, bulk_save_audited

    if not pairs:
        return 0
    prefix = "customer" if kind == Kind.CUSTOMER else "contact"
    ids = {i for pair in pairs for i in pair}
    stored = DuplicateCandidate.objects.filter(kind=kind)
    if len(ids) <= PAIR_LOOKUP_IDS:  # a few records (an import batch): by index
        stored = stored.filter(**{f"{prefix}_a__in": ids, f"{prefix}_b__in": ids})
    existing: dict[tuple[int, int], tuple[int, str, float]] = {}
    # else every stored pair of the kind: far fewer rows than records, and no huge IN list
    for row in stored.values_list(
        "pk", f"{prefix}_a_id", f"{prefix}_b_id", "status", "score"
    ).iterator(chunk_size=5000):
        existing[(row[1], row[2])] = (row[0], row[3], row[4])
    new, changed = [], []
    for pair, score in pairs.items():
        old = existing.get(pair)
        if old is None:
            new.append(
                DuplicateCandidate(
                    **_pair_fields(kind, *pair), score=score.total, explanation=score.explanation
                )
            )
        elif old[1] == DuplicateCandidate.Status.OPEN and abs(old[2] - score.total) > 0.001:
            changed.append((old[0], score))
    names = _names(kind, {i for pair in [*(c.record_ids for c in new)] for i in pair})
    for candidate in new:
        a, b = candidate.record_ids
        candidate._label = f"{names.get(a, a)} ≈ {names.get(b, b)}"
    if changed:
        loaded = []
        for start in range(0, len(changed), 2000):
            chunk = dict(changed[start : start + 2000])
            for candidate in DuplicateCandidate.objects.filter(pk__in=chunk):
                score = chunk[candidate.pk]
                candidate.score, candidate.explanation = score.total, score.explanation
                loaded.append(candidate)
        labels = _names(kind, {i for c in loaded for i in c.record_ids})
        for candidate in loaded:
            a, b = candidate.record_ids
            candidate._label = f"{labels.get(a, a)} ≈ {labels.get(b, b)}"
        bulk_save_audited(loaded, ["score", "explanation"])
    bulk_create_audited(DuplicateCandidate, new)
    return len(new)


#: a full scan fits its model on at most this many blocked pairs (a random sample)
FIT_SAMPLE = 200_000
#: a full scan stores its candidates every this many pairs (memory stays flat)
STORE_CHUNK = 10_000


def _sample_pairs(
    profiles: list[matching.Profile], size: int, *, seed: int = 1
) -> tuple[int, list[tuple[int, int]]]:
    """How many pairs the blocking compares, and a uniform random sample of ``size`` of them
    (reservoir sampling over the streamed pairs: the pairs are never held)."""
    rng = random.Random(seed)
    sample: list[tuple[int, int]] = []
    n = 0
    for n, pair in enumerate(matching.iter_candidate_pairs(profiles), 1):
        if len(sample) < size:
            sample.append(pair)
        else:
            k = rng.randrange(n)
            if k < size:
                sample[k] = pair
    return n, sample


def scan_duplicates(
    *, kind: str, full: bool = False, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Find likely duplicates and store them for review.

    ``full``: every record, blocked in memory (and every blocking key rebuilt). Otherwise only
    records changed since the last scan, compared with the records sharing a blocking key
    (looked up in the key table), so a nightly run costs what changed, not the whole book."""
    model = model_of(kind)
    started = timezone.now()
    last = MatchScan.objects.filter(kind=kind).values_list("scanned_at", flat=True).first()
    if not full and last is not None:
        # after a big import, one blocked pass over everything beats per-record look-ups
        full = model.objects.filter(updated_at__gte=last).count() > INCREMENTAL_LIMIT
    if full or last is None:
        result, stored_model = _full_scan(kind, progress)
    else:
        stored_model = MatchScan.objects.filter(kind=kind).values_list("model", flat=True).first()
        fitted = linkage.Model.from_dict(stored_model) if stored_model else None
        changed_ids = list(model.objects.filter(updated_at__gte=last).values_list("pk", flat=True))
        changed = refresh_keys(kind=kind, ids=changed_ids)
        found, compared = [], 0
        for p in changed:
            others = neighbours(kind, p.keys, exclude=p.id)
            for q in load_profiles(kind, model.objects.filter(pk__in=others)):
                compared += 1
                score = matching.compare(p, q, fitted)
                if score.total >= matching.REVIEW_THRESHOLD:
                    found.append((p, q, score))
        created = store_candidates(kind=kind, found=found)
        result = {
            "scanned": len(changed),
            "compared": compared,
            "found": len(found),
            "created": created,
        }
    MatchScan.objects.update_or_create(
        kind=kind, defaults={"scanned_at": started, "model": stored_model or {}}
    )
    return result


def _full_scan(kind: str, progress: Callable[[int, int], None] | None) -> tuple[dict, dict]:
    """Every record: keys rebuilt, the model fitted on the book (EM; on a random sample of the
    pairs when there are many) and kept for the incremental scans, then every blocked pair
    scored. The pairs are streamed block by block (``matching.iter_candidate_pairs``), twice
    when there are more than ``FIT_SAMPLE`` — once to sample them, once to score them — and
    only those above the threshold are kept, stored every ``STORE_CHUNK``: the memory is the
    profiles' and the blocks', whatever the number of pairs."""
    profiles = load_profiles(kind)
    with transaction.atomic():
        MatchKey.objects.filter(kind=kind).delete()
        _store_keys(kind, profiles)
    compared, sample = _sample_pairs(profiles, FIT_SAMPLE)
    if compared <= len(sample):  # every pair is in the sample: score the vectors at hand
        vectors = [linkage.compare_vector(profiles[i], profiles[j]) for i, j in sample]
        fitted = linkage.fit(profiles, vectors)
        pairs = ((i, j, v) for (i, j), v in zip(sample, vectors, strict=True))
    else:  # the fit counts the sample's comparison patterns: its vectors are not kept
        fitted = linkage.fit(
            profiles, (linkage.compare_vector(profiles[i], profiles[j]) for i, j in sample)
        )
        del sample
        pairs = ((i, j, None) for i, j in matching.iter_candidate_pairs(profiles))
    found: list = []
    created = stored = 0
    for n, (i, j, vector) in enumerate(pairs):
        score = matching.compare(profiles[i], profiles[j], fitted, vector)
        if score.total >= matching.REVIEW_THRESHOLD:
            found.append((profiles[i], profiles[j], score))
            if len(found) >= STORE_CHUNK:
                created += store_candidates(kind=kind, found=found)
                stored, found = stored + len(found), []
        if progress and n % 10000 == 0:
            progress(n, compared)
    created += store_candidates(kind=kind, found=found)
    result = {
        "scanned": len(profiles),
        "compared": compared,
        "found": stored + len(found),
        "created": created,
    }
    return result, fitted.as_dict()


def neighbours(kind: str, keys: list[str], *, exclude: int | None = None) -> list[int]:
    """Ids of records sharing a blocking key; over-common keys are skipped."""
    if not keys:
        return []
    ids: set[int] = set()
    for key in keys:
        found = list(
            MatchKey.objects.filter(kind=kind, key=key[:120]).values_list("object_id", flat=True)[
                : KEY_LOOKUP_CAP + 1
            ]
        )
        if len(found) <= KEY_LOOKUP_CAP:
            ids.update(found)
    ids.discard(exclude)
    return sorted(ids)


# --- creation-time check (also for import) ---------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A record that may be the same as the values checked, with the scored explanation."""

    record: Model
    score: float
    explanation: dict

    @property
    def summary(self) -> str:
        return matching.explain_text(self.explanation)


def _values(values: dict, kind: str) -> dict:
    """Accept instances for foreign keys (a form's cleaned data) as well as ids."""
    row = dict(values)
    if kind == Kind.CONTACT:
        customer = row.get("customer")
        if isinstance(customer, Customer):
            row.setdefault("customer_id", customer.pk)
            row.setdefault("customer__name", customer.name)
        elif row.get("customer_id") and "customer__name" not in row:
            row["customer__name"] = (
                Customer.objects.filter(pk=row["customer_id"])
                .values_list("name", flat=True)
                .first()
                or ""
            )
    return row


def find_matches(
    values: dict,
    *,
    model: type[Model],
    user,
    limit: int = 5,
    threshold: float = CHECK_THRESHOLD,
    exclude_id: int | None = None,
) -> list[Match]:
    """Records the user may see that look like ``values`` (a dict of model fields: name, phone,
    email, city, address, kind for customers; name, mobile, office_phone, email, customer for
    contacts), best first. Used before saving a new record and by the import's duplicate
    handling; looks candidates up by blocking key (an index), never by scanning."""
    kind = kind_of(model)
    probe = profile_of(kind, _values(values, kind))
    ids = neighbours(kind, probe.keys, exclude=exclude_id)
    parent = values.get("parent")  # a subsidiary is not a duplicate of its parent company
    parent_id = getattr(parent, "pk", parent) or values.get("parent_id")
    if parent_id in ids:
        ids.remove(parent_id)
    if not ids:
        return []
    visible = model.objects.visible_to(user).filter(pk__in=ids)
    scored = []
    for q in load_profiles(kind, visible):
        score = matching.compare(probe, q)
        if score.total >= threshold:
            scored.append((score, q.id))
    scored.sort(key=lambda s: (-s[0].total, s[1]))
    scored = scored[:limit]
    records = model.objects.in_bulk([i for _s, i in scored])
    return [Match(records[i], s.total, s.explanation) for s, i in scored if i in records]


# --- company-wide check (撞单/查重) -------------------------------------------------------------


class DuplicateCode(StrEnum):
    #: The customer exists outside the user's data scope (same name or same phone).
    CUSTOMER_EXISTS = "customer_exists"


#: How many records outside the user's scope a check names (their owners only).
ELSEWHERE_LIMIT = 3


@dataclass(frozen=True)
class Elsewhere:
    """A customer outside the user's data scope that looks like the one being created. Only its
    owner's name is ever shown; ``record_id`` stays on the server (share requests)."""

    record_id: int
    owner_name: str
    owner_id: int | None
    #: "name" (same name after normalisation, companies only) and/or "phone" (same number):
    #: creating is refused. Empty: a similar record, a warning.
    reasons: tuple[str, ...]
    score: float

    @property
    def exact(self) -> bool:
        return bool(self.reasons)


def exact_reasons(explanation: dict, *, person: bool) -> tuple[str, ...]:
    """What makes a pair the same customer beyond doubt for the company-wide check: the same
    phone number, or — for companies — the same name once normalised (厦门辰远 / 廈門辰遠 /
    厦门辰远有限公司). Two people of one name are not one customer, so for individuals only the
    phone counts."""
    fields = explanation.get("fields") or {}
    out = []
    if not person and str(fields.get("name", {}).get("how", "")) == "exact":
        out.append("name")
    if str(fields.get("phone", {}).get("how", "")) == "exact":
        out.append("phone")
    return tuple(out)


def find_elsewhere(
    values: dict, *, user, model: type[Model] = Customer, threshold: float = CHECK_THRESHOLD
) -> list[Elsewhere]:
    """Customers the user may NOT see that look like ``values`` (the whole company is checked:
    撞单/查重), exact matches first. Candidates come from the blocking keys and, so that a very
    common key cannot hide it, from the records of exactly the same name (indexed)."""
    kind = kind_of(model)
    if kind != Kind.CUSTOMER:
        return []
    probe = profile_of(kind, _values(values, kind))
    ids = set(neighbours(kind, probe.keys))
    name = str(values.get("name") or "").strip()
    if name:
        ids.update(model.objects.filter(name=name).values_list("pk", flat=True)[:20])
    parent = values.get("parent")
    ids.discard(getattr(parent, "pk", parent) or values.get("parent_id"))
    ids.discard(values.get("id"))
    if not ids:
        return []
    hidden = ids - set(
        model.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if not hidden:
        return []
    person = probe.person
    found = []
    for q in load_profiles(kind, model.objects.filter(pk__in=hidden)):
        score = matching.compare(probe, q)
        reasons = exact_reasons(score.explanation, person=person)
        if reasons or score.total >= threshold:
            found.append((reasons, score.total, q.id))
    found.sort(key=lambda f: (not f[0], -f[1], f[2]))
    owner_of = dict(
        model.objects.filter(pk__in=[f[2] for f in found]).values_list("pk", "owner_id")
    )
    seen: set = set()
    best = []
    for f in found:  # one line per owner: their best look-alike
        if owner_of.get(f[2]) not in seen:
            seen.add(owner_of.get(f[2]))
            best.append(f)
    found = best[:ELSEWHERE_LIMIT]
    owners = {
        pk: (owner_id, display or " ".join(p for p in (first, last) if p) or username or "")
        for pk, owner_id, display, first, last, username in model.objects.filter(
            pk__in=[f[2] for f in found]
        ).values_list(
            "pk",
            "owner_id",
            "owner__display_name",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
    }
    out = []
    for reasons, total, pk in found:
        owner_id, owner_name = owners.get(pk, (None, ""))
        out.append(
            Elsewhere(
                record_id=pk,
                owner_name=owner_name if owner_id else _("nobody (unassigned)"),
                owner_id=owner_id,
                reasons=reasons,
                score=total,
            )
        )
    return out


class CustomerExistsError(ValidationError):
    """Creating a customer that exists outside the user's scope: the API answers 400 with
    ``code`` and ``owner`` (``kehu.core.drf``), the form shows who owns it."""

    def __init__(self, match: Elsewhere):
        super().__init__(
            _(
                "This customer already exists and belongs to %(owner)s. Ask them to share it "
                "with you instead of creating a copy."
            )
            % {"owner": match.owner_name},
            code=DuplicateCode.CUSTOMER_EXISTS,
        )
        self.match = match
        self.payload = {"owner": match.owner_name}


def check_not_taken(values: dict, *, user, model: type[Model] = Customer) -> None:
    """Refuse to create a customer that already exists elsewhere in the company (same name
    for companies, same phone): raise :class:`CustomerExistsError` naming its owner only."""
    for match in find_elsewhere(values, user=user, model=model):
        if match.exact:
            raise CustomerExistsError(match)


@transaction.atomic
def request_share(*, values: dict, user, index: int | None = None) -> list[str]:
    """Ask the owners of the customers outside the user's scope that match ``values`` (the
    same values as the refused creation; ``index`` one of them) to share them: a notice in
    each owner's inbox with a link to the record's share card, the requester preselected.
    Asked again, no second notice. Returns the owners' names."""
    from django.urls import reverse

    from kehu.core.actions import notify
    from kehu.system.actions.roles import SHARE_REQUEST, share_request_key
    from kehu.system.models import User

    matches = find_elsewhere(values, user=user)
    if index is not None:
        matches = matches[index : index + 1]
    matches = [m for m in matches if m.owner_id]
    if not matches:
        raise ValidationError(
            _("There is no customer of another owner to ask for."), code="nothing_to_request"
        )
    names = Customer.objects.in_bulk([m.record_id for m in matches])
    owners = User.objects.in_bulk([m.owner_id for m in matches])
    for m in matches:
        customer, owner = names.get(m.record_id), owners.get(m.owner_id)
        if customer is None or owner is None:
            continue
        department = getattr(user.department, "name", "") if user.department_id else ""
        who = f"{user} ({department})" if department else str(user)
        notify(
            recipients=[owner],
            title=_("%(user)s asks you to share the customer %(customer)s")
            % {"user": user, "customer": customer.name},
            body=_(
                "%(user)s tried to create this customer and found it is already yours. "
                "If they should work on it too, share it with them on its page."
            )
            % {"user": who},
            link=reverse("customers:customer_detail", args=[customer.pk])
            + f"?share_with={user.pk}#record-shares",
            kind=SHARE_REQUEST,
            dedupe_key=share_request_key(customer, user.pk),
        )
    return [m.owner_name for m in matches]


def best_match(values: dict, *, user, model: type[Model] = Customer) -> Model | None:
    """The one record that is almost certainly the same (score >= HIGH_THRESHOLD), or None:
    what the import's "update existing" mode updates."""
    matches = find_matches(
        values, model=model, user=user, limit=1, threshold=matching.HIGH_THRESHOLD
    )
    return matches[0].record if matches else None


# --- decisions -------------------------------------------------------------------------------


@transaction.atomic
def dismiss_candidate(*, candidate: DuplicateCandidate, user) -> DuplicateCandidate:
    """Not the same record: the pair leaves the queue and later scans leave it alone."""
    if not DuplicateCandidate.objects.editable_by(user).filter(pk=candidate.pk).exists():
        raise PermissionDenied
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise ValidationError(_("This pair has already been decided."))
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return candidate


def _pairs_among(kind: str, ids: set[int]):
    prefix = "customer" if kind == Kind.CUSTOMER else "contact"
    return DuplicateCandidate.objects.filter(
        Q(kind=kind) & Q(**{f"{prefix}_a__in": ids}) & Q(**{f"{prefix}_b__in": ids})
    )


@transaction.atomic
def mark_merged(*, model: type[Model], ids: Iterable[int], user=None) -> int:
    """Pairs among merged records are settled (called from the records_merged signal)."""
    from kehu.core.actions import bulk_update_audited

    qs = _pairs_among(kind_of(model), set(ids)).filter(status=DuplicateCandidate.Status.OPEN)
    return bulk_update_audited(
        qs, status=DuplicateCandidate.Status.MERGED, decided_by=user, decided_at=timezone.now()
    )


@transaction.atomic
def reopen_merged(*, model: type[Model], ids: Iterable[int]) -> int:
    """A merge was undone: its pairs go back to the queue (merge_undone signal)."""
    from kehu.core.actions import bulk_update_audited

    qs = _pairs_among(kind_of(model), set(ids)).filter(status=DuplicateCandidate.Status.MERGED)
    return bulk_update_audited(
        qs, status=DuplicateCandidate.Status.OPEN, decided_by=None, decided_at=None
    )


# --- signals ---------------------------------------------------------------------------------


def _on_saved(sender, instance, raw=False, **kwargs) -> None:
    """Keep the blocking keys of a saved record current (bulk writes: the nightly scan)."""
    if not raw:
        refresh_keys(kind=kind_of(sender), ids=[instance.pk])


def _on_deleted(sender, instance, **kwargs) -> None:
    MatchKey.objects.filter(kind=kind_of(sender), object_id=instance.pk).delete()


def _on_merged(sender, survivor, losers, **kwargs) -> None:
    from kehu.core.context import get_current_user

    if sender in (Customer, Contact):
        mark_merged(model=sender, ids=[survivor.pk, *losers], user=get_current_user())


def _on_merge_undone(sender, survivor, restored, **kwargs) -> None:
    if sender in (Customer, Contact):
        reopen_merged(model=sender, ids=[survivor.pk, *restored])


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from ..signals import merge_undone, records_merged

    for model in (Customer, Contact):
        post_save.connect(_on_saved, sender=model, dispatch_uid=f"matching-keys-{model.__name__}")
        post_delete.connect(
            _on_deleted, sender=model, dispatch_uid=f"matching-keys-del-{model.__name__}"
        )
    records_merged.connect(_on_merged, dispatch_uid="matching-merged")
    merge_undone.connect(_on_merge_undone, dispatch_uid="matching-merge-undone")


KEY_CHUNK = 5000


def _key_hits(kind: str, keys: set[str], cap: int = KEY_LOOKUP_CAP) -> dict[str, list[int]]:
    """{blocking key: ids of the records that have it} for the keys at most ``cap``
    records share (over-common keys are skipped, as :func:`neighbours` does). Two indexed
    queries per 5,000 keys, written out in SQL: Django would compile each of the thousands of
    ``IN`` parameters of an import batch one by one."""
    from django.db import connections

    connection = connections[MatchKey.objects.db]
    qn = connection.ops.quote_name
    table, key_col = qn(MatchKey._meta.db_table), qn("key")
    by_key: dict[str, list[int]] = {}
    ordered = sorted(keys)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), KEY_CHUNK):
            chunk = ordered[start : start + KEY_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {key_col} FROM {table} WHERE kind = %s AND {key_col} IN ({marks}) "
                f"GROUP BY {key_col} HAVING count(*) > %s",
                [kind, *chunk, cap],
            )
            common = {row[0] for row in cursor.fetchall()}
            rest = [k for k in chunk if k not in common]
            if not rest:
                continue
            marks = ", ".join(["%s"] * len(rest))
            cursor.execute(
                f"SELECT {key_col}, object_id FROM {table} "
                f"WHERE kind = %s AND {key_col} IN ({marks})",
                [kind, *rest],
            )
            for key, object_id in cursor.fetchall():
                by_key.setdefault(key, []).append(object_id)
    return by_key


def best_matches(
    values_list: list[dict], *, user, model: type[Model] = Customer
) -> list[Model | None]:
    """``best_match`` for a whole batch: the records taken as the same (see
    :func:`classify_rows`)."""
    return [r.same for r in classify_rows(values_list, user=user, model=model)]


#: the most records a row of an import is queued with for review
UNCERTAIN_LIMIT = 3


@dataclass
class RowMatches:
    """What the model says of one row of an import against the records of the book."""

    profile: matching.Profile
    #: the record taken as the same: scored at or above ``HIGH_THRESHOLD``, or an exact copy
    same: Model | None = None
    #: (record id, score) of records that may be the same (at or above ``REVIEW_THRESHOLD``):
    #: the row is imported and the pairs are queued for review
    uncertain: list[tuple[int, matching.Score]] = field(default_factory=list)


def import_model(*, kind: str = Kind.CUSTOMER, records: int) -> linkage.Model:
    """The model an import scores with: the one the last full scan fitted on the book, else
    the priors with λ for a book of ``records`` records (one duplicate per
    ``LAMBDA_FLOOR_RECORDS`` records, among all pairs: the same rule as a fitted model's floor),
    so a name shared by many is not taken for one person."""
    stored = MatchScan.objects.filter(kind=kind).values_list("model", flat=True).first()
    if stored:
        return linkage.Model.from_dict(stored)
    model = linkage.Model.prior()
    model.lam = linkage.lambda_for(records)
    model.fitted = f"prior, {records:,} records"
    return model


def exact_copy(a: matching.Profile, b: matching.Profile) -> bool:
    """Every identity field of the two records is the same once normalised, and neither has
    one the other lacks: a row imported again. (Two rows of one file may be two namesakes
    with nothing else known: the import never applies this rule within a file.)"""
    return a.kind == b.kind and identity_signature(a) == identity_signature(b)


def identity_signature(p: matching.Profile) -> tuple:
    return (
        p.core,
        p.name_parts,
        p.region,
        p.dob,
        tuple(sorted(ph.number for ph in p.phones)),
        p.email,
        p.address_words,
        p.city,
        p.postcode,
        p.state,
    )


def classify_rows(
    values_list: list[dict],
    *,
    user,
    model: type[Model] = Customer,
    scoring: linkage.Model | None = None,
) -> list[RowMatches]:
    """Each row against the records ``user`` may see, scored with ``scoring`` (default: the
    priors): the record taken as the same (at or above ``HIGH_THRESHOLD``, or an exact copy)
    and the uncertain ones (at or above ``REVIEW_THRESHOLD``). A constant number of queries
    for any number of rows — the blocking keys of every row in one lookup, the candidates'
    profiles in one read — then scoring in memory."""
    if not values_list:
        return []
    kind = kind_of(model)
    probes = [profile_of(kind, _values(v, kind)) for v in values_list]
    keys = {k[:120] for p in probes for k in p.keys}
    by_key = _key_hits(kind, keys, IMPORT_KEY_CAP)
    wanted = {i for ids in by_key.values() for i in ids}
    profiles: dict[int, matching.Profile] = {}
    for start in range(0, len(ordered := sorted(wanted)), 2000):
        chunk = ordered[start : start + 2000]
        for q in load_profiles(kind, model.objects.visible_to(user).filter(pk__in=chunk)):
            profiles[q.id] = q
    out: list[RowMatches] = []
    for probe in probes:
        ids = nearest(
            ((k, i) for k in probe.keys for i in by_key.get(k[:120], ()) if i in profiles),
            IMPORT_CANDIDATES,
        )
        scored = sorted(
            ((matching.compare(probe, profiles[i], scoring), i) for i in ids if i in profiles),
            key=lambda s: (-s[0].total, s[1]),
        )
        found = RowMatches(probe)
        copy = next(
            (
                i
                for s, i in scored
                if exact_copy(probe, profiles[i])
                or (not probe.person and "name" in exact_reasons(s.explanation, person=False))
            ),
            None,
        )  # an exact copy; a company of the same name (the company-wide check's rule)
        if copy is not None:
            found.same = copy
        elif scored and scored[0][0].total >= matching.HIGH_THRESHOLD:
            found.same = scored[0][1]
        found.uncertain = [
            (i, s) for s, i in scored if i != found.same and s.total >= matching.REVIEW_THRESHOLD
        ][:UNCERTAIN_LIMIT]
        out.append(found)
    records = model.objects.in_bulk([r.same for r in out if r.same is not None])
    for r in out:
        r.same = records.get(r.same) if r.same is not None else None
    return out
