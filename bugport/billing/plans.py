"""The plan catalogue: configuration, not code. The package ships plans.default.json; an operator
points BUGPORT_PLANS_FILE at their own file (same format, their Stripe price ids)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bugport.config import Settings

Interval = Literal["monthly", "yearly"]
DEFAULT_FILE = Path(__file__).with_name("plans.default.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{1,50}$")
    name: str
    monthly_price: int = Field(ge=0, description="Minor currency units (cents).")
    yearly_price: int = Field(ge=0)
    storage_bytes: int | None = Field(ge=0, description="null = unlimited")
    limits: dict[str, int | None] = Field(default_factory=dict)
    storage_addons: bool = False
    stripe_prices: dict[Interval, str] = Field(default_factory=dict)


class StorageAddonConfig(_Strict):
    block_bytes: int = Field(gt=0)
    monthly_price: int = Field(ge=0)
    yearly_price: int = Field(ge=0)
    max_blocks: int = Field(default=100, ge=1)
    stripe_prices: dict[Interval, str] = Field(default_factory=dict)


class Catalogue(_Strict):
    currency: str = Field(pattern=r"^[a-z]{3}$")
    default_plan: str
    storage_addon: StorageAddonConfig
    plans: list[PlanConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = [p.id for p in self.plans]
        if len(set(ids)) != len(ids):
            raise ValueError("plan ids must be unique")
        if self.default_plan not in ids:
            raise ValueError(f"default_plan {self.default_plan!r} is not a plan")
        prices = [v for p in self.plans for v in p.stripe_prices.values()]
        prices += list(self.storage_addon.stripe_prices.values())
        if len(set(prices)) != len(prices):
            raise ValueError("a Stripe price id may map to one plan/interval only")
        return self

    def plan(self, plan_id: str) -> PlanConfig | None:
        return next((p for p in self.plans if p.id == plan_id), None)

    @property
    def free(self) -> PlanConfig:
        plan = self.plan(self.default_plan)
        assert plan is not None
        return plan

    def price_lookup(self, price_id: str) -> tuple[str, Interval] | None:
        """A Stripe price id → (plan id or "storage_addon", interval)."""
        for p in self.plans:
            for interval, pid in p.stripe_prices.items():
                if pid == price_id:
                    return p.id, interval
        for interval, pid in self.storage_addon.stripe_prices.items():
            if pid == price_id:
                return "storage_addon", interval
        return None


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Catalogue:
    return Catalogue.model_validate(json.loads(Path(path).read_text()))


def catalogue(settings: Settings) -> Catalogue:
    """The catalogue for these settings; re-read when the file changes (mtime)."""
    path = settings.plans_file or DEFAULT_FILE
    try:
        return _load(str(path), path.stat().st_mtime)
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"Invalid plan catalogue {path}: {exc}") from exc
