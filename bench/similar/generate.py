"""Deterministic generator of the labelled duplicate-detection set: bench/similar/dataset.json.

    .venv/bin/python bench/similar/generate.py [--out bench/similar/dataset.json]

One fictional company, Acme Store: a Vite storefront (shop.acme-store.com, API on
api.acme-store.com) and a webpack (create-react-app) admin dashboard (app.acme-store.com, API
under /api/v2 on the same host), each shipped in three deploys (other bundle hashes, other line
numbers, other minified names). Every known failure below is reported by several people: other
words (terse, long, typos, a few in German/French/Spanish), other ids in the URLs, other browsers
(Chrome, Firefox and Safari console wordings and stack formats), with noise around the failure
(successful requests, a blocked analytics beacon, "Script error." from a cross-origin widget,
warnings, info logs) and some reports missing the network capture or the console error (capture
started late). Distractors use the same words for another failure: another endpoint, another
status class, another error or function. Each report's `group` is its true label; distractors
get a label of their own. The rates below are fixed up front, not fitted to the algorithm.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SEED = 20261204
OUT = Path(__file__).resolve().parent / "dataset.json"

# Fixed rates (see the README): per report of a group, independently.
P_NO_NETWORK = 0.08  # the network capture started after the failure
P_NO_CONSOLE = 0.08  # the console capture started after the failure (never both)
P_BEACON = 0.35  # an analytics beacon blocked by an ad blocker
P_SCRIPT_ERROR = 0.10  # "Script error." from a cross-origin chat widget, before the failure
P_TYPO = 0.2

SHOP = "https://shop.acme-store.com"
SHOP_API = "https://api.acme-store.com"
ADMIN = "https://app.acme-store.com"

# Three deploys per frontend: (bundle hash, chunk hash, line offset, minified names).
SHOP_DEPLOYS = [
    ("BVk0Ca1D", "C9xq2LmT", 1, {"min1": "Xe", "min2": "qt"}),
    ("D4t7Hn0q", "a7Rk3PzW", 3, {"min1": "Ke", "min2": "Jn"}),
    ("x2Lw9FbE", "Qm5vT8cY", 2, {"min1": "Ze", "min2": "qt"}),
]
ADMIN_DEPLOYS = [
    ("3f9a1c2b", "a1b2c3d4", 1, {"min1": "e", "min2": "Nt"}),
    ("7d6e5f4a", "9c8b7a6d", 2, {"min1": "t", "min2": "Rt"}),
    ("0b1c2d3e", "5e4f3a2b", 1, {"min1": "n", "min2": "Nt"}),
]

BROWSERS = [
    ("Chrome", "124.0.6367.91", 0.55),
    ("Firefox", "125.0", 0.2),
    ("Safari", "17.4", 0.25),
]
OSES = {
    "Chrome": [("Windows", "10"), ("macOS", "14.4"), ("Android", "14"), ("Linux", "")],
    "Firefox": [("Windows", "11"), ("Linux", ""), ("macOS", "13.6")],
    "Safari": [("macOS", "14.4"), ("iOS", "17.4"), ("iOS", "16.7")],
}

FIRST_NAMES = (
    "anna ben carla dev elif farid greta hiro ines jonas kofi lena mario nadia omar".split()
)
PRODUCTS = [
    "blue-cotton-tshirt",
    "merino-wool-scarf",
    "leather-weekender-bag",
    "ceramic-pour-over-set",
    "linen-duvet-cover-queen",
    "trail-running-shoes",
    "bamboo-cutting-board",
    "wireless-earbuds-pro",
]


# ---------------------------------------------------------------- ids as real apps mint them


def _b62(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(n))


def make_id(rnd: random.Random, kind: str) -> str:
    if kind == "num":
        return str(rnd.randrange(1000, 9_999_999))
    if kind == "uuid":
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
    if kind == "hex":  # a MongoDB ObjectId
        return "".join(rnd.choice("0123456789abcdef") for _ in range(24))
    if kind == "token":  # a reset token
        return "".join(rnd.choice("0123456789abcdef") for _ in range(40))
    if kind.startswith("pfx:"):  # ord_7F3kq9Xz, cus_Nf8s2KdP (Stripe style)
        while True:
            tail = _b62(rnd, rnd.choice([8, 10, 14]))
            if any(c.isdigit() for c in tail):
                return f"{kind[4:]}_{tail}"
    if kind == "slug":  # a product slug, sometimes with its numeric id
        slug = rnd.choice(PRODUCTS)
        return f"{slug}-{rnd.randrange(100, 99999)}" if rnd.random() < 0.5 else slug
    if kind == "gift":
        while True:
            code = "-".join(_b62(rnd, 4).upper() for _ in range(4))
            if any(c.isdigit() for c in code):
                return code
    if kind == "email":
        return f"{rnd.choice(FIRST_NAMES)}.{rnd.choice(FIRST_NAMES)}{rnd.randrange(99)}@example.org"
    if kind == "file":
        return rnd.choice(["avatar.png", "IMG_4821.HEIC", "profile photo.jpg", "logo-final-v2.svg"])
    raise ValueError(kind)


# ---------------------------------------------------------------- failure specs


@dataclass(frozen=True)
class Req:
    method: str
    path: str  # with {num} {uuid} {hex} {token} {pfx:ord} {slug} {gift} {email} {file}
    statuses: tuple[int | None, ...]  # None: no response
    error: str | None = None  # the capture's error when there was no response
    host: str = "api"  # api (the app's API host), page (the page's host) or a full origin
    query: str = ""  # a query string, with the same placeholders


@dataclass(frozen=True)
class Err:
    kind: str  # read | call | reject | throw | log | chunk | fetch | quota | safari_flatmap
    frames: tuple[str, ...] = ()  # in-app functions, innermost first ("min1": minified)
    file: str = "index"  # the bundle the frames are in: index/main or a lazy chunk name
    prop: str = ""  # read: the property; call: the expression
    obj: str = ""  # read: the expression that was undefined/null
    null: bool = False
    text: str = ""  # reject/throw/log: the message, with {placeholders}
    name: str = "Error"
    vendor_top: str = ""  # a library frame above the app's (axios settle, react-dom)


@dataclass(frozen=True)
class Failure:
    key: str
    app: str  # shop | admin
    page: str  # page path, with placeholders
    req: Req | None
    err: Err | None
    kind: str  # 5xx | 4xx | auth | timeout | network | js | chunk | quota
    subjects: tuple[str, ...]
    titles: tuple[str, ...]
    story: tuple[str, ...]
    size: int = 0
    browsers: tuple[str, ...] = ("Chrome", "Firefox", "Safari")
    alt_statuses: tuple[tuple[float, int | None], ...] = ()  # (share, status): e.g. a 504 instead
    twists: tuple[dict[str, Any], ...] = field(default=())


AXIOS = "settle"

FAILURES: list[Failure] = [
    Failure(
        "checkout-pay-5xx",
        "shop",
        "/checkout/{uuid}/payment",
        Req("POST", "/api/checkout/{uuid}/pay", (500, 502, 503)),
        Err("log", text="[checkout] payment failed: Request failed with status code {status}"),
        "5xx",
        ("checkout", "payment", "the pay button", "placing an order", "card payment"),
        (
            "Payment fails at checkout",
            "Can't pay for my order",
            "Checkout: 'Something went wrong' after clicking Pay",
            "pay button does nothing then error",
            "Orders can't be placed - payment step errors out",
            "Customer unable to complete purchase",
        ),
        (
            "When I click Pay now the spinner runs for a few seconds and then I get a red "
            "banner saying something went wrong.",
            "Card details are accepted but the order is never placed.",
            "Three customers called us today, none of them could finish paying.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/checkout/{uuid}/pay", (402,)),
                "err": Err("log", text="[checkout] payment failed: card_declined"),
                "note": "same endpoint, 4xx: the card was declined",
            },
            {
                "req": Req("POST", "/api/checkout/{uuid}/shipping-address", (500,)),
                "err": None,
                "note": "another checkout endpoint fails",
            },
        ),
    ),
    Failure(
        "cart-add-5xx",
        "shop",
        "/products/{slug}",
        Req("POST", "/api/cart/items", (500, 503)),
        Err(
            "reject",
            frames=("addToCart", "onClick"),
            name="AxiosError",
            text="Request failed with status code {status}",
            vendor_top=AXIOS,
        ),
        "5xx",
        ("add to cart", "adding items to the basket", "the Add to bag button", "cart"),
        (
            "Add to cart not working",
            "Can't add anything to my basket",
            "Add to bag -> error",
            "Items don't get added to cart",
        ),
        (
            "Pressing Add to cart shows a toast 'Could not add item' and the cart stays empty.",
            "Tried three different products, none of them can be added.",
            "The cart counter never goes up.",
        ),
        twists=(
            {
                "req": Req("DELETE", "/api/cart/items/{num}", (500,)),
                "err": None,
                "note": "removing from the cart fails, not adding",
            },
        ),
    ),
    Failure(
        "auth-refresh-401",
        "shop",
        "/account/orders",
        Req("POST", "/api/auth/refresh", (401,)),
        Err("reject", frames=("refreshSession", "request"), text="Session refresh rejected"),
        "auth",
        ("login", "my session", "being logged out", "the account page"),
        (
            "Keeps logging me out",
            "Logged out randomly after a few minutes",
            "Session expires way too fast",
            "Signed out when I reload the page",
        ),
        (
            "Every time I refresh the page I am sent back to the login screen.",
            "I log in, browse for a bit, and suddenly I'm logged out again.",
            "Happens mostly when the tab has been open for a while.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/auth/login", (401,)),
                "err": Err("log", text="Login failed: invalid credentials"),
                "note": "login itself is refused, not the refresh",
            },
        ),
    ),
    Failure(
        "product-404-deleted",
        "shop",
        "/products/{slug}",
        Req("GET", "/api/products/{slug}", (404,)),
        Err(
            "read",
            frames=("ProductPrice", "ProductPage"),
            file="ProductPage",
            obj="product",
            prop="price",
        ),
        "4xx",
        ("the product page", "product links", "a product", "the item page"),
        (
            "Product page is blank",
            "Clicking a product from the newsletter gives an empty page",
            "Product not found but it's in my wishlist",
            "white screen on product",
        ),
        (
            "I clicked the product in last week's newsletter and only the header shows.",
            "The link from my wishlist opens a blank page.",
            "Looks like the product was removed but the page just breaks instead of saying so.",
        ),
        twists=(
            {
                "req": Req("GET", "/api/products/{slug}/recommendations", (500,)),
                "err": None,
                "note": "the product's recommendations fail, 5xx",
            },
        ),
    ),
    Failure(
        "order-detail-404",
        "admin",
        "/orders/{pfx:ord}",
        Req("GET", "/api/v2/orders/{pfx:ord}", (404,)),
        None,
        "4xx",
        ("order details", "an order", "the order page", "orders"),
        (
            "Order page says not found",
            "Can't open order from the email notification",
            "404 on order details",
            "Order link broken in admin",
        ),
        (
            "The new-order email links to an order that the dashboard says does not exist.",
            "Opening an order from the list gives 'Order not found'.",
            "Refreshing doesn't help.",
        ),
        twists=(
            {
                "req": Req("GET", "/api/v2/orders/{pfx:ord}", (500,)),
                "note": "the same order endpoint, but a 5xx",
            },
            {
                "req": Req("GET", "/api/v2/orders/{pfx:ord}/timeline", (404,)),
                "note": "another endpoint under the order",
            },
        ),
    ),
    Failure(
        "search-timeout",
        "shop",
        "/search",
        Req("GET", "/api/search", (None,), error="timeout", query="q={word}&page=1"),
        Err(
            "reject",
            frames=("runSearch", "onInput"),
            name="AxiosError",
            text="timeout of 10000ms exceeded",
            vendor_top="handleTimeout",
        ),
        "timeout",
        ("search", "the search bar", "searching", "product search"),
        (
            "Search takes forever",
            "Search never returns results",
            "search is super slow then fails",
            "Searching for anything times out",
        ),
        (
            "I type a word, the spinner goes on for ten seconds and then nothing.",
            "Search used to be instant, now it never comes back.",
            "Only happens with common words like 'shirt'.",
        ),
        alt_statuses=((0.2, 504),),
        twists=(
            {
                "req": Req("GET", "/api/search/suggest", (500,), query="q={word}"),
                "err": None,
                "note": "search suggestions fail with a 5xx",
            },
        ),
    ),
    Failure(
        "avatar-upload-cors",
        "admin",
        "/settings/profile",
        Req(
            "PUT",
            "/{uuid}/{file}",
            (None,),
            error="CORS request did not succeed",
            host="https://acme-uploads.s3.amazonaws.com",
        ),
        Err("fetch", frames=("uploadAvatar", "onDrop")),
        "network",
        ("avatar upload", "profile picture", "uploading a photo", "my avatar"),
        (
            "Can't upload profile picture",
            "Avatar upload fails",
            "Profile photo won't save",
            "uploading avatar -> network error",
        ),
        (
            "I drop a picture on the avatar box, it shows 'Upload failed, check your connection'.",
            "My connection is fine, everything else works.",
            "Tried a small PNG and a JPG, same result.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/v2/users/me/avatar", (413,), host="page"),
                "err": Err("log", text="Avatar upload rejected: file too large"),
                "note": "the avatar is refused as too large (4xx from the API)",
            },
        ),
    ),
    Failure(
        "cart-total-typeerror",
        "shop",
        "/cart",
        None,
        Err("read", frames=("CartSummary", "renderWithHooks"), obj="cart.totals", prop="total"),
        "js",
        ("the cart", "cart page", "basket", "cart summary"),
        (
            "Cart page crashes",
            "Basket page goes blank",
            "cart shows white screen",
            "Can't see my cart total",
        ),
        (
            "Opening the cart shows nothing but a white page.",
            "It worked yesterday; since this morning the cart is blank.",
            "Happens when there is a discount applied.",
        ),
        twists=(
            {
                "err": Err("read", frames=("CartItemRow", "map"), obj="item.variant", prop="image"),
                "note": "another property in another component of the cart",
            },
            {
                "err": Err(
                    "read", frames=("MiniCart", "renderWithHooks"), obj="cart.totals", prop="total"
                ),
                "note": "the same property read in another component (the header mini cart)",
            },
        ),
    ),
    Failure(
        "wishlist-map-not-fn",
        "shop",
        "/account/wishlist",
        None,
        Err("call", frames=("WishlistGrid", "renderWithHooks"), prop="wishlist.items.map"),
        "js",
        ("wishlist", "my saved items", "the wishlist page", "favourites"),
        (
            "Wishlist page broken",
            "Saved items don't load",
            "Favourites page crashes",
            "wishlist empty screen",
        ),
        (
            "My wishlist used to show 12 items, now the page is empty.",
            "The heart icon works but the wishlist page itself errors.",
            "Only on the wishlist page, everything else is OK.",
        ),
        twists=(
            {
                "err": Err("call", frames=("ShareWishlist", "onClick"), prop="navigator.share"),
                "note": "sharing the wishlist fails: another call, another function",
            },
        ),
    ),
    Failure(
        "checkout-chunk-load",
        "shop",
        "/cart",
        None,
        Err("chunk", file="Checkout"),
        "chunk",
        ("checkout", "the checkout page", "proceed to checkout", "going to checkout"),
        (
            "Checkout page won't open",
            "Proceed to checkout does nothing",
            "Stuck on cart, checkout doesn't load",
            "checkout button broken after update",
        ),
        (
            "Clicking Proceed to checkout does nothing, I had the tab open since yesterday.",
            "After a hard refresh it works again.",
            "Customers who had the shop open for a while can't reach checkout.",
        ),
        twists=(),
    ),
    Failure(
        "localstorage-quota",
        "shop",
        "/products/{slug}",
        None,
        Err("quota", frames=("persistCart", "addToCart")),
        "quota",
        ("add to cart", "the cart", "saving the cart", "the shop on iPhone"),
        (
            "Cart doesn't save on iPhone",
            "Adding to cart fails in private browsing",
            "Cart empties itself on Safari",
            "can't add to bag on my phone",
        ),
        (
            "On my iPhone in private mode nothing can be added to the cart.",
            "It works on my laptop but not on the phone.",
            "The button animates but the cart stays at 0.",
        ),
        browsers=("Safari", "Safari", "Safari", "Chrome", "Firefox"),
        twists=(),
    ),
    Failure(
        "maps-autocomplete-403",
        "shop",
        "/checkout/{uuid}/address",
        Req(
            "GET",
            "/maps/api/place/js/AutocompletionService.GetPredictionsJson",
            (403,),
            host="https://maps.googleapis.com",
            query="input={word}&key=AIzaSyB{num}",
        ),
        Err("log", text="Google Maps JavaScript API error: RefererNotAllowedMapError\n{maps_url}"),
        "4xx",
        ("address autocomplete", "the address field", "shipping address", "address suggestions"),
        (
            "Address autocomplete not working",
            "No suggestions when typing my address",
            "Address field doesn't suggest anything",
            "shipping address lookup broken",
        ),
        (
            "Typing my street gives no suggestions anymore, I have to type everything by hand.",
            "The dropdown with addresses never appears.",
            "Started after the domain change, I think.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/checkout/{uuid}/address", (422,)),
                "err": Err("log", text="Address validation failed: postal_code"),
                "note": "our API refuses the address (4xx), no Maps error",
            },
        ),
    ),
    Failure(
        "login-5xx",
        "shop",
        "/login",
        Req("POST", "/api/auth/login", (500, 502)),
        Err("log", text="Login error: Request failed with status code {status}"),
        "5xx",
        ("login", "signing in", "the login form", "sign in"),
        (
            "Cannot log in",
            "Login broken - server error",
            "Sign in fails with 'try again later'",
            "Unable to login since this morning",
        ),
        (
            "Correct password, but the login form says 'Something went wrong, try again later'.",
            "Reset my password, still can't sign in.",
            "Colleagues have the same problem.",
        ),
        twists=(),
    ),
    Failure(
        "password-reset-410",
        "shop",
        "/reset-password/{token}",
        Req("GET", "/api/auth/reset/{token}", (410,)),
        None,
        "4xx",
        ("password reset", "the reset link", "reset password email", "forgot password"),
        (
            "Password reset link says expired",
            "Reset link doesn't work",
            "forgot password link is invalid",
            "Reset password email link broken",
        ),
        (
            "I requested a reset, clicked the link within a minute and it says the link expired.",
            "Tried twice, both links 'expired' immediately.",
            "",
        ),
        twists=(
            {
                "req": Req("POST", "/api/auth/reset/{token}", (500,)),
                "note": "submitting the new password fails with a 5xx",
            },
        ),
    ),
    Failure(
        "invoice-pdf-5xx",
        "admin",
        "/billing/invoices",
        Req("GET", "/api/v2/invoices/{pfx:in}/pdf", (500, 502)),
        Err("log", text="Could not download invoice: Request failed with status code {status}"),
        "5xx",
        ("invoice download", "the invoice PDF", "invoices", "downloading invoices"),
        (
            "Invoice PDF download fails",
            "Can't download invoices",
            "Download invoice -> error",
            "invoice pdf broken",
        ),
        (
            "Clicking Download PDF on any invoice shows 'Download failed'.",
            "Our accountant needs the March invoices.",
            "Older invoices download fine, the new ones don't.",
        ),
        twists=(
            {
                "req": Req("GET", "/api/v2/invoices", (500,), query="page={small}"),
                "err": None,
                "note": "the invoice list fails, not the PDF",
            },
            {
                "req": Req("GET", "/api/v2/invoices/{pfx:in}/pdf", (403,)),
                "err": Err("log", text="Could not download invoice: forbidden"),
                "note": "the PDF is forbidden (4xx) for a member without billing rights",
            },
        ),
    ),
    Failure(
        "csv-export-timeout",
        "admin",
        "/orders",
        Req("POST", "/api/v2/exports/orders", (None,), error="timeout"),
        Err(
            "reject",
            frames=("startExport", "onClick"),
            name="AxiosError",
            text="timeout of 30000ms exceeded",
            vendor_top="handleTimeout",
        ),
        "timeout",
        ("CSV export", "exporting orders", "the export button", "order export"),
        (
            "Order export times out",
            "CSV export never finishes",
            "Export orders spins forever",
            "export button broken",
        ),
        (
            "Exporting last month's orders runs for 30 seconds and then fails.",
            "Smaller date ranges work, a full month does not.",
            "We need this for our monthly reporting.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/v2/exports/customers", (None,), error="timeout"),
                "note": "the customer export times out, another endpoint",
            },
        ),
    ),
    Failure(
        "team-invite-403",
        "admin",
        "/settings/team",
        Req("POST", "/api/v2/workspaces/{uuid}/invites", (403,)),
        Err("log", text="Invite failed: You do not have permission to invite members"),
        "auth",
        ("team invites", "inviting a colleague", "the invite button", "adding team members"),
        (
            "Can't invite team members",
            "Invite colleague fails with permission error",
            "Inviting users not possible",
            "invite button says no permission but I'm an admin",
        ),
        (
            "I'm the account owner and it says I don't have permission to invite.",
            "The invite dialog closes with an error.",
            "Worked last week.",
        ),
        twists=(
            {
                "req": Req("DELETE", "/api/v2/workspaces/{uuid}/members/{uuid}", (403,)),
                "err": None,
                "note": "removing a member is forbidden, another endpoint",
            },
        ),
    ),
    Failure(
        "chart-canvas-null",
        "admin",
        "/dashboard",
        None,
        Err(
            "read",
            frames=("renderChart", "useEffect"),
            file="main",
            obj="canvas",
            prop="getContext",
            null=True,
        ),
        "js",
        ("the dashboard", "sales chart", "the revenue graph", "charts"),
        (
            "Dashboard charts don't render",
            "Sales chart missing",
            "Revenue graph blank",
            "dashboard crashes when switching tabs",
        ),
        (
            "The sales chart area is empty and the rest of the dashboard stops updating.",
            "Happens when I switch from Week to Month quickly.",
            "A reload fixes it for a while.",
        ),
        twists=(
            {
                "err": Err(
                    "read",
                    frames=("renderLegend", "useEffect"),
                    file="main",
                    obj="chart.legend",
                    prop="items",
                ),
                "note": "another read in another chart function",
            },
        ),
    ),
    Failure(
        "preferences-save-reject",
        "admin",
        "/settings/preferences",
        None,
        Err(
            "reject",
            frames=("savePreferences", "onSubmit"),
            file="main",
            text="Could not save preferences for user {num}",
        ),
        "js",
        ("preferences", "settings", "saving settings", "notification preferences"),
        (
            "Preferences don't save",
            "Settings reset after saving",
            "Can't change notification settings",
            "save button in preferences does nothing",
        ),
        (
            "I untick the daily digest, click Save, reload: it's ticked again.",
            "No error shown, it just doesn't stick.",
            "",
        ),
        twists=(
            {
                "err": Err(
                    "reject",
                    frames=("loadPreferences", "useEffect"),
                    file="main",
                    text="Could not load preferences for user {num}",
                ),
                "note": "loading the preferences fails, another message and function",
            },
        ),
    ),
    Failure(
        "notifications-poll-502",
        "admin",
        "/dashboard",
        Req("GET", "/api/v2/notifications/unread", (502,), query="since={epoch}"),
        None,
        "5xx",
        ("notifications", "the bell icon", "notification badge", "alerts"),
        (
            "Notifications not updating",
            "Bell icon shows nothing new",
            "Notification count stuck",
            "no notifications since yesterday",
        ),
        (
            "New orders come in but the bell never shows them.",
            "The badge stays at 0.",
            "",
        ),
        twists=(),
    ),
    Failure(
        "product-image-413",
        "admin",
        "/products/{num}/edit",
        Req("POST", "/api/v2/products/{num}/images", (413,)),
        Err("log", text="Image upload failed ({status})"),
        "4xx",
        ("product images", "uploading photos", "image upload", "the product editor"),
        (
            "Product image upload fails",
            "Can't add photos to products",
            "Uploading product pictures gives an error",
            "image upload broken in editor",
        ),
        (
            "Photos from our new camera won't upload, old ones do.",
            "The progress bar reaches 100% and then 'Upload failed'.",
            "Tried Chrome and Safari.",
        ),
        twists=(
            {
                "req": Req("DELETE", "/api/v2/products/{num}/images/{num}", (500,)),
                "err": None,
                "note": "deleting a product image fails, 5xx",
            },
        ),
    ),
    Failure(
        "shipping-rates-5xx",
        "shop",
        "/checkout/{uuid}/shipping",
        Req("POST", "/api/checkout/{uuid}/shipping-rates", (500, 503)),
        Err(
            "read",
            frames=("ShippingOptions", "renderWithHooks"),
            file="Checkout",
            obj="rates",
            prop="map",
        ),
        "5xx",
        ("shipping options", "delivery methods", "the shipping step", "checkout shipping"),
        (
            "No shipping options at checkout",
            "Shipping step empty",
            "Can't choose delivery method",
            "checkout stuck at shipping",
        ),
        (
            "After entering my address, the list of delivery options is empty and I can't go on.",
            "Only for addresses outside Germany.",
            "",
        ),
        twists=(),
    ),
    Failure(
        "currency-symbol-typeerror",
        "shop",
        "/",
        None,
        Err(
            "read",
            frames=("formatPrice", "PriceTag"),
            obj="currencies[code]",
            prop="symbol",
        ),
        "js",
        ("currency switcher", "prices", "changing currency", "the shop in CHF"),
        (
            "Switching currency crashes the shop",
            "Prices disappear when I pick CHF",
            "Currency selector breaks the page",
            "white page after changing currency",
        ),
        (
            "I chose Swiss francs in the footer and the whole page went white.",
            "EUR and USD work, CHF and SEK break.",
            "",
        ),
        twists=(
            {
                "err": Err(
                    "read",
                    frames=("formatPrice", "PriceTag"),
                    obj="currencies[code]",
                    prop="decimals",
                ),
                "note": "the same function reads another property",
            },
        ),
    ),
    Failure(
        "reviews-404",
        "shop",
        "/products/{slug}",
        Req("GET", "/api/products/{num}/reviews", (404,), query="page={small}"),
        None,
        "4xx",
        ("reviews", "product reviews", "the reviews tab", "ratings"),
        (
            "Reviews don't load",
            "Product reviews missing",
            "Reviews tab empty",
            "more reviews button does nothing",
        ),
        (
            "The first 5 reviews show, 'Load more' does nothing.",
            "The rating says 120 reviews but I can only see five.",
            "",
        ),
        twists=(
            {
                "req": Req("POST", "/api/products/{num}/reviews", (500,)),
                "note": "posting a review fails with a 5xx",
            },
        ),
    ),
    Failure(
        "stripe-integration-error",
        "shop",
        "/checkout/{uuid}/payment",
        None,
        Err(
            "throw",
            frames=("mountPaymentElement", "useEffect"),
            file="Checkout",
            name="IntegrationError",
            text="Invalid value for elements(): clientSecret should be a client secret of the "
            "form ${id}_secret_${secret}. You specified: .",
            vendor_top="https://js.stripe.com/v3/",
        ),
        "js",
        ("card form", "the payment form", "credit card fields", "checkout payment"),
        (
            "Card form doesn't appear",
            "Payment fields missing at checkout",
            "No credit card input",
            "can't enter my card details",
        ),
        (
            "On the payment step the box for the card number is just empty.",
            "PayPal button shows, the card fields don't.",
            "",
        ),
        twists=(),
    ),
    Failure(
        "sso-callback-400",
        "admin",
        "/login/sso",
        Req("GET", "/api/v2/auth/sso/callback", (400,), query="code={hex}&state={hex}"),
        Err("log", text="SSO login failed: invalid state parameter"),
        "auth",
        ("SSO login", "Google sign in", "single sign-on", "login with Okta"),
        (
            "SSO login fails",
            "Sign in with Google loops back to login",
            "Okta login error",
            "single sign on broken",
        ),
        (
            "After picking my Google account I land on the login page again with 'Invalid state'.",
            "Password login works, SSO doesn't.",
            "",
        ),
        twists=(
            {
                "req": Req("GET", "/api/v2/auth/sso/callback", (500,), query="code={hex}"),
                "err": None,
                "note": "the same callback, but a 5xx",
            },
        ),
    ),
    Failure(
        "plan-change-402",
        "admin",
        "/billing/plan",
        Req("POST", "/api/v2/billing/subscription", (402,)),
        Err("log", text="Plan change failed: payment method required"),
        "4xx",
        ("plan upgrade", "changing plan", "billing", "the upgrade button"),
        (
            "Can't upgrade our plan",
            "Upgrade to Pro fails",
            "plan change error",
            "Billing: upgrade says payment required although card is saved",
        ),
        (
            "We have a card on file but upgrading says a payment method is required.",
            "Tried removing and adding the card again.",
            "",
        ),
        twists=(
            {
                "req": Req("POST", "/api/v2/billing/subscription", (500,)),
                "err": None,
                "note": "the same endpoint fails with a 5xx",
            },
        ),
    ),
    Failure(
        "customer-orders-5xx",
        "admin",
        "/customers/{pfx:cus}",
        Req("GET", "/api/v2/customers/{pfx:cus}/orders", (500,), query="cursor={hex}"),
        None,
        "5xx",
        ("customer orders", "order history", "the customer page", "a customer's orders"),
        (
            "Customer order history doesn't load",
            "Customer page: orders tab error",
            "Can't see orders of a customer",
            "order history spinner forever",
        ),
        (
            "Opening a customer and switching to Orders gives an error box.",
            "Only for customers with many orders, it seems.",
            "",
        ),
        twists=(
            {
                "req": Req("GET", "/api/v2/customers/{pfx:cus}", (404,)),
                "note": "the customer itself is not found",
            },
        ),
    ),
    Failure(
        "discount-flatmap-safari",
        "shop",
        "/cart",
        None,
        Err("safari_flatmap", frames=("applyDiscountCodes", "onSubmit")),
        "js",
        ("discount code", "coupon", "promo code", "voucher"),
        (
            "Discount code doesn't apply",
            "Coupon field does nothing",
            "Promo code not working on iPad",
            "voucher not accepted",
        ),
        (
            "I enter the code from the email and press Apply, nothing happens.",
            "Works on my husband's Android phone.",
            "",
        ),
        browsers=("Safari",),
        twists=(
            {
                "req": Req("POST", "/api/cart/discounts", (422,)),
                "err": Err("log", text="Discount rejected: code expired"),
                "note": "the code is refused by the API (4xx): an expired code",
            },
        ),
    ),
    Failure(
        "guest-checkout-422",
        "shop",
        "/checkout/{uuid}/customer",
        Req("POST", "/api/checkout/{uuid}/customer", (422,)),
        Err("log", text="Guest checkout: email rejected by server"),
        "4xx",
        ("guest checkout", "checkout without account", "the email field", "checkout"),
        (
            "Guest checkout rejects my email",
            "Can't checkout as guest",
            "Email 'invalid' at checkout although it's correct",
            "guest checkout broken for + emails",
        ),
        (
            "My email has a plus sign in it and checkout says it's invalid.",
            "Creating an account with the same email works.",
            "",
        ),
        twists=(),
    ),
    Failure(
        "inventory-sync-503",
        "admin",
        "/inventory",
        Req("GET", "/api/v2/inventory/sync-jobs/{hex}", (503,)),
        None,
        "5xx",
        ("inventory sync", "stock sync", "the inventory page", "syncing stock"),
        (
            "Inventory sync stuck",
            "Stock levels not syncing",
            "Sync status page errors",
            "inventory sync never completes",
        ),
        (
            "The sync job status never leaves 'running' and then the page shows an error.",
            "Stock numbers are a day old.",
            "",
        ),
        twists=(
            {
                "req": Req("POST", "/api/v2/inventory/sync-jobs", (409,)),
                "note": "starting a sync is refused (4xx) because one is running",
            },
        ),
    ),
    Failure(
        "gift-card-timeout",
        "shop",
        "/checkout/{uuid}/payment",
        Req("GET", "/api/gift-cards/{gift}/balance", (None,), error="net::ERR_TIMED_OUT"),
        Err("fetch", frames=("checkGiftCard", "onBlur"), file="Checkout"),
        "timeout",
        ("gift card", "gift card balance", "redeeming a voucher", "the gift card field"),
        (
            "Gift card balance check hangs",
            "Can't redeem gift card",
            "gift card not accepted - loading forever",
            "Checking gift card balance fails",
        ),
        (
            "I enter the code from my gift card and it keeps loading, then 'network error'.",
            "Got the card for my birthday, can't use it.",
            "",
        ),
        twists=(
            {
                "req": Req("GET", "/api/gift-cards/{gift}/balance", (404,)),
                "err": Err("log", text="Gift card not found"),
                "note": "the gift card does not exist (4xx), an answer rather than a timeout",
            },
        ),
    ),
    Failure(
        "react-max-depth",
        "admin",
        "/products",
        None,
        Err(
            "throw",
            frames=(),
            file="main",
            text="Minified React error #185; visit https://reactjs.org/docs/error-decoder.html"
            "?invariant=185 for the full message or use the non-minified dev environment for "
            "full errors and additional helpful warnings.",
            vendor_top="react",
        ),
        "js",
        ("the products table", "product list", "bulk edit", "the product filters"),
        (
            "Products page freezes then crashes",
            "Product list white screen when filtering",
            "Bulk edit crashes the page",
            "products table hangs",
        ),
        (
            "Selecting more than 50 products for bulk edit freezes the tab, then it goes blank.",
            "Chrome says the page is unresponsive.",
            "",
        ),
        twists=(
            {
                "err": Err(
                    "throw",
                    frames=(),
                    file="main",
                    text="Minified React error #418; visit https://reactjs.org/docs/"
                    "error-decoder.html?invariant=418 for the full message or use the "
                    "non-minified dev environment for full errors and additional helpful "
                    "warnings.",
                    vendor_top="react",
                ),
                "note": "another React invariant (#418, hydration) on the products page",
            },
        ),
    ),
    Failure(
        "order-refund-5xx",
        "admin",
        "/orders/{pfx:ord}",
        Req("POST", "/api/v2/orders/{pfx:ord}/refunds", (500, 502, 504)),
        Err(
            "reject",
            frames=("issueRefund", "onConfirm"),
            file="main",
            name="AxiosError",
            text="Request failed with status code {status}",
            vendor_top=AXIOS,
        ),
        "5xx",
        ("refunds", "refunding an order", "the refund button", "partial refunds"),
        (
            "Refund fails",
            "Can't refund orders",
            "Refund button gives server error",
            "Partial refund not possible",
        ),
        (
            "Issuing a refund shows 'Refund failed' and the order stays paid.",
            "Full and partial refunds both fail.",
            "The customer is waiting for their money.",
        ),
        twists=(
            {
                "req": Req("POST", "/api/v2/orders/{pfx:ord}/refunds", (422,)),
                "err": Err("log", text="Refund refused: amount exceeds captured total"),
                "note": "the refund is refused (4xx): amount too high",
            },
        ),
    ),
]

# Group sizes, fixed (2 to 15; a few big groups, many small ones).
SIZES = [15, 12, 11, 10, 10, 9, 9, 8, 8, 8, 7, 7, 7, 7, 6, 6, 6, 6, 5, 5]
SIZES += [6, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2]

# ---------------------------------------------------------------- words

SYMPTOMS = {
    "5xx": ["fails", "gives a server error", "errors out", "is broken", "shows 'something went wrong'", "500 error"],
    "4xx": ["doesn't work", "fails", "shows an error", "not found", "is broken", "refuses"],
    "auth": ["fails", "is denied", "doesn't work", "keeps failing", "permission error"],
    "timeout": ["times out", "takes forever", "hangs", "never finishes", "super slow"],
    "network": ["fails", "network error", "doesn't work", "won't upload", "errors"],
    "js": ["crashes", "is blank", "white screen", "doesn't work", "broken", "freezes"],
    "chunk": ["doesn't load", "won't open", "does nothing", "broken"],
    "quota": ["doesn't work", "fails", "broken", "does nothing"],
}  # fmt: skip
FOREIGN = [
    "{s} funktioniert nicht",
    "Fehler bei {s}",
    "{s} ne fonctionne pas",
    "Problème avec {s}",
    "No funciona {s}",
    "Error en {s}",
]
OPENERS = [
    "",
    "Hi, ",
    "Hello team, ",
    "Not sure if this is known but ",
    "Reporting on behalf of a customer: ",
    "",
]
EXTRAS = [
    "Happens every time.",
    "Happened twice today.",
    "Tried in an incognito window, same thing.",
    "Cleared cache and cookies, didn't help.",
    "Please fix asap, this is costing us sales.",
    "Screenshot attached.",
    "It worked last week.",
    "No idea what changed.",
    "",
]
TERSE = ["", "see title", "pls fix", "as title says", "broken", "urgent"]
FOREIGN_DESC = [
    "Seit heute Morgen geht das nicht mehr. Bitte schnell beheben.",
    "Ça marchait hier, plus maintenant.",
    "Desde ayer no funciona, lo intenté varias veces.",
]


def typo(rnd: random.Random, text: str) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return text
    i = rnd.choice(idx)
    w = words[i]
    j = rnd.randrange(1, len(w) - 1)
    op = rnd.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap
    elif op == 1:
        w = w[:j] + w[j + 1 :]  # drop
    else:
        w = w[:j] + w[j] + w[j:]  # double
    words[i] = w
    return " ".join(words)


def make_title(rnd: random.Random, f: Failure, browser: str) -> str:
    r = rnd.random()
    subject = rnd.choice(f.subjects)
    if r < 0.4:
        title = rnd.choice(f.titles)
    elif r < 0.75:
        title = f"{subject} {rnd.choice(SYMPTOMS[f.kind])}"
        title = title[0].upper() + title[1:]
    elif r < 0.85:
        title = rnd.choice(FOREIGN).format(s=subject)
        title = title[0].upper() + title[1:]
    elif r < 0.93:
        title = f"{subject} {rnd.choice(SYMPTOMS[f.kind])} on {browser}"
    else:
        title = rnd.choice(["URGENT: ", "Bug: ", "[prod] ", ""]) + rnd.choice(f.titles).upper()
    if rnd.random() < P_TYPO:
        title = typo(rnd, title)
    return title[:300]


def make_description(
    rnd: random.Random, f: Failure, browser: str, os_name: str, ids: list[str]
) -> str | None:
    r = rnd.random()
    if r < 0.2:
        return rnd.choice(TERSE) or None
    if r < 0.28:
        return rnd.choice(FOREIGN_DESC)
    story = [s for s in f.story if s]
    parts = [rnd.choice(OPENERS) + rnd.choice(story)]
    if r > 0.65:  # long: steps, environment, more detail
        parts.append(rnd.choice([s for s in story if s not in parts] or story))
        steps = [
            f"1. Go to {f.page.split('/')[1] or 'the home page'}",
            f"2. Use {rnd.choice(f.subjects)}",
            "3. See the error",
        ]
        parts.append("Steps:\n" + "\n".join(steps))
        parts.append(f"{browser} on {os_name}.")
        if ids:
            parts.append(f"Reference: {rnd.choice(ids)}")
    parts.append(rnd.choice(EXTRAS))
    text = " ".join(p for p in parts if p)
    if rnd.random() < P_TYPO:
        text = typo(rnd, text)
    return text


# ---------------------------------------------------------------- captures


@dataclass
class Ctx:
    rnd: random.Random
    f: Failure
    browser: str
    deploy: tuple[str, str, int, dict[str, str]]
    origin: str
    api: str
    ids: dict[str, str] = field(default_factory=dict)
    seq: int = 0

    def fill(self, template: str, status: int | None = None) -> str:
        out = template
        for key in (
            "uuid", "num", "hex", "token", "slug", "gift", "email", "file", "small", "word",
            "epoch", "pfx:ord", "pfx:cus", "pfx:in",
        ):  # fmt: skip
            ph = "{" + key + "}"
            while ph in out:
                if key == "small":
                    value = str(self.rnd.randrange(2, 9))
                elif key == "word":
                    value = self.rnd.choice(["shirt", "linen", "gift", "shoes", "mug"])
                elif key == "epoch":
                    value = str(1_733_000_000 + self.rnd.randrange(10_000_000))
                else:
                    value = self.ids.setdefault(key, make_id(self.rnd, key))
                    if out.count(ph) > 1:  # a second id of the same kind in one path
                        self.ids.pop(key)
                out = out.replace(ph, value, 1)
        return out.replace("{status}", str(status or 0)).replace(
            "{maps_url}",
            "https://developers.google.com/maps/documentation/javascript/error-messages"
            "#referer-not-allowed-map-error",
        )

    def at(self) -> str:
        self.seq += 1
        return f"2026-11-{10 + self.seq // 40:02d}T10:{self.seq % 60:02d}:{self.rnd.randrange(60):02d}Z"


def bundle_url(c: Ctx, file: str) -> str:
    h, ch, _, _ = c.deploy
    if c.f.app == "shop":
        name = f"index-{h}.js" if file == "index" else f"{file}-{ch}.js"
        return f"{c.origin}/assets/{name}"
    if file in ("index", "main"):
        return f"{c.origin}/static/js/main.{h}.js"
    return f"{c.origin}/static/js/{abs(hash_str(file)) % 900 + 100}.{ch}.chunk.js"


def hash_str(s: str) -> int:
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(s))


def stack_lines(c: Ctx, e: Err) -> list[str]:
    """Frames innermost first as (function, url, line, col), then formatted per browser."""
    rnd = c.rnd
    _, _, line_off, names = c.deploy
    frames: list[tuple[str, str]] = []
    vendor = e.vendor_top
    if vendor == AXIOS or vendor == "handleTimeout":
        lib = (
            f"{c.origin}/assets/vendor-axios-{c.deploy[1]}.js"
            if c.f.app == "shop"
            else f"{c.origin}/static/js/vendors~main.{c.deploy[1]}.chunk.js"
        )
        frames.append((vendor, lib))
        frames.append(("onloadend" if vendor == AXIOS else "ontimeout", lib))
    elif vendor == "react":
        lib = f"{c.origin}/static/js/vendors~main.{c.deploy[1]}.chunk.js"
        for fn in ("Ui", "Vs", "Es"):
            frames.append((fn, lib))
    elif vendor.startswith("https://"):
        frames.append(("", vendor))
    for fn in e.frames:
        frames.append((names.get(fn, fn), bundle_url(c, e.file)))
    if vendor != "react" and c.f.app == "admin":
        frames.append(("commitRoot", f"{c.origin}/static/js/vendors~main.{c.deploy[1]}.chunk.js"))
    elif vendor != "react":
        frames.append(("commitRoot", f"{c.origin}/assets/vendor-react-dom-{c.deploy[1]}.js"))
    out = []
    for i, (fn, url) in enumerate(frames):
        ln, col = line_off + i, 1000 + (hash_str(fn + url) * 7) % 90000
        if c.browser == "Chrome":
            if not fn:
                out.append(f"    at {url}:{ln}:{col}")
            else:
                owner = rnd.choice(["", "", "Object.", "HTMLButtonElement."]) if i else ""
                prefix = "async " if e.kind == "reject" and i == len(frames) - 2 else ""
                out.append(f"    at {prefix}{owner}{fn} ({url}:{ln}:{col})")
        else:
            mark = "async*" if c.browser == "Firefox" and e.kind == "reject" and i > 1 else ""
            out.append(f"{mark}{fn}@{url}:{ln}:{col}")
    if c.browser == "Safari":
        out.append("dispatchEvent@[native code]")
    return out


def error_message(c: Ctx, e: Err, status: int | None) -> str:
    b = c.browser
    if e.kind == "read":
        v = "null" if e.null else "undefined"
        if b == "Chrome":
            return f"TypeError: Cannot read properties of {v} (reading '{e.prop}')"
        if b == "Firefox":
            return f'TypeError: can\'t access property "{e.prop}", {e.obj} is {v}'
        return f"TypeError: {v} is not an object (evaluating '{e.obj}.{e.prop}')"
    if e.kind == "call":
        if b == "Safari":
            return (
                f"TypeError: {e.prop} is not a function. (In '{e.prop}()', '{e.prop}' is undefined)"
            )
        return f"TypeError: {e.prop} is not a function"
    if e.kind == "safari_flatmap":
        return (
            "TypeError: codes.flatMap is not a function. "
            "(In 'codes.flatMap(parseCode)', 'codes.flatMap' is undefined)"
        )
    if e.kind == "fetch":
        return {
            "Chrome": "TypeError: Failed to fetch",
            "Firefox": "TypeError: NetworkError when attempting to fetch resource.",
            "Safari": "TypeError: Load failed",
        }[b]
    if e.kind == "chunk":
        url = bundle_url(c, e.file)
        return {
            "Chrome": f"TypeError: Failed to fetch dynamically imported module: {url}",
            "Firefox": f"TypeError: error loading dynamically imported module: {url}",
            "Safari": "TypeError: Importing a module script failed.",
        }[b]
    if e.kind == "quota":
        if b == "Chrome":
            return (
                "QuotaExceededError: Failed to execute 'setItem' on 'Storage': Setting the "
                "value of 'acme.cart.v2' exceeded the quota."
            )
        if b == "Firefox":
            return "QuotaExceededError: The quota has been exceeded."
        return (
            "QuotaExceededError: The quota has been exceeded."
            if c.rnd.random() < 0.5
            else "QuotaExceededError: Exceeded the quota."
        )
    text = c.fill(e.text, status)
    if e.kind == "reject":
        inner = f"{e.name}: {text}"
        return (
            f"Unhandled Promise Rejection: {inner}"
            if b == "Safari"
            else f"Uncaught (in promise) {inner}"
        )
    if e.kind == "throw":
        return f"Uncaught {e.name}: {text}" if b != "Safari" else f"{e.name}: {text}"
    return text  # log: console.error from the app's own handler


def noise_before(c: Ctx) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rnd = c.rnd
    logs: list[dict[str, Any]] = [
        {"level": "info", "message": f"[app] build {c.deploy[0]} ready", "timestamp": c.at()},
    ]
    if rnd.random() < 0.4:
        logs.append(
            {
                "level": "warn",
                "message": rnd.choice(
                    [
                        "[Deprecation] -webkit-text-size-adjust is deprecated",
                        "A cookie associated with a cross-site resource was set without the "
                        "`SameSite` attribute.",
                        "[intercom] messenger booted in 412ms",
                    ]
                ),
                "timestamp": c.at(),
            }
        )
    if c.f.app == "shop":
        ok = [
            ("GET", f"{c.api}/api/session"),
            ("GET", f"{c.api}/api/cart"),
            ("GET", f"{c.api}/api/products/featured?limit=8"),
        ]
    else:
        ok = [
            ("GET", f"{c.origin}/api/v2/me"),
            ("GET", f"{c.origin}/api/v2/workspaces/current"),
            ("GET", f"{c.origin}/api/v2/notifications/unread?since=1733000000"),
        ]
    net = [
        {
            "method": m,
            "url": u,
            "status": 200,
            "timing": {"duration": rnd.randrange(20, 300)},
            "started_at": c.at(),
        }
        for m, u in ok[: rnd.randrange(1, len(ok) + 1)]
    ]
    if rnd.random() < P_BEACON:
        net.append(
            {
                "method": "POST",
                "url": rnd.choice(
                    [
                        "https://www.google-analytics.com/g/collect?v=2&tid=G-7XK2M9&cid="
                        + str(rnd.randrange(10**9)),
                        "https://api.segment.io/v1/t",
                        "https://www.facebook.com/tr/?id=1029384756&ev=PageView",
                    ]
                ),
                "status": 0,
                "error": "net::ERR_BLOCKED_BY_CLIENT",
                "started_at": c.at(),
            }
        )
    if rnd.random() < P_SCRIPT_ERROR:
        logs.append({"level": "error", "message": "Script error.", "timestamp": c.at()})
    return logs, net


def failing_request(c: Ctx, r: Req) -> tuple[dict[str, Any], int | None]:
    status = c.rnd.choice(r.statuses)
    for share, alt in c.f.alt_statuses:
        if c.rnd.random() < share:
            status = alt
    base = {"api": c.api, "page": c.origin}.get(r.host, r.host)
    url = base + c.fill(r.path)
    if r.query:
        url += "?" + c.fill(r.query)
    entry: dict[str, Any] = {
        "method": r.method,
        "url": url,
        "status": status if status is not None else c.rnd.choice([0, None]),
        "timing": {"duration": c.rnd.randrange(100, 30000)},
        "started_at": c.at(),
    }
    if status is None:
        entry["error"] = r.error or "net::ERR_FAILED"
    elif r.host not in ("api", "page"):
        entry["response_body"] = '{"error_message": "This API project is not authorized"}'
    else:
        entry["response_body"] = json.dumps(
            {"error": {"code": "server_error" if status >= 500 else "client_error"}}
        )
    return entry, status


def report(
    rnd: random.Random, f: Failure, label: str, distractor: bool, note: str = ""
) -> dict[str, Any]:
    if distractor:
        browser = rnd.choice(f.browsers)
    else:
        r = rnd.random()
        browser = "Chrome"
        acc = 0.0
        for name, _, share in BROWSERS:
            acc += share
            if r < acc:
                browser = name
                break
        if browser not in f.browsers:
            browser = rnd.choice(f.browsers)
    version = next(v for n, v, _ in BROWSERS if n == browser)
    os_name, os_version = rnd.choice(OSES[browser])
    deploys = SHOP_DEPLOYS if f.app == "shop" else ADMIN_DEPLOYS
    origin = SHOP if f.app == "shop" else ADMIN
    c = Ctx(rnd, f, browser, rnd.choice(deploys), origin, SHOP_API if f.app == "shop" else ADMIN)
    page_url = origin + c.fill(f.page)
    if rnd.random() < 0.3:
        page_url += rnd.choice(["?utm_source=newsletter&utm_campaign=nov", "#top", "?ref=email"])
    logs, network = noise_before(c)
    missing = None
    roll = rnd.random()
    if not distractor and roll < P_NO_NETWORK and f.req is not None:
        missing = "network"
    elif (
        not distractor
        and roll < P_NO_NETWORK + P_NO_CONSOLE
        and f.err is not None
        and f.req is not None
    ):
        missing = "console"
    status: int | None = None
    if f.req is not None:
        entry, status = failing_request(c, f.req)
        if missing != "network":
            network.append(entry)
            if rnd.random() < 0.25:  # the user tried again
                again = dict(entry, started_at=c.at())
                network.append(again)
    if f.err is not None and missing != "console":
        e = f.err
        message = error_message(c, e, status)
        entry_log: dict[str, Any] = {"level": "error", "message": message, "timestamp": c.at()}
        if e.kind != "log":
            lines = stack_lines(c, e)
            first = message.removeprefix("Uncaught (in promise) ").removeprefix("Uncaught ")
            first = first.removeprefix("Unhandled Promise Rejection: ")
            entry_log["stack"] = "\n".join(([first] if browser == "Chrome" else []) + lines)
        logs.append(entry_log)
    if missing == "network":  # capture started late: only what came after
        network = [n for n in network if n["status"] == 200][-1:]
    if missing == "console":
        logs = [entry for entry in logs if entry["level"] != "error"]
    # After the failure: the page keeps polling, the user clicks around.
    if rnd.random() < 0.5:
        after = f"{c.api}/api/cart" if f.app == "shop" else f"{origin}/api/v2/me"
        network.append({"method": "GET", "url": after, "status": 200, "started_at": c.at()})
    if rnd.random() < 0.3:
        logs.append({"level": "info", "message": "[router] navigated", "timestamp": c.at()})
    ids = list(c.ids.values())
    out = {
        "group": label,
        "distractor": distractor,
        "failure": f.key,
        "browser": browser,
        "missing": missing,
        "title": make_title(rnd, f, browser),
        "description": make_description(rnd, f, browser, os_name, ids),
        "page_url": page_url,
        "environment": {
            "browser": browser,
            "browser_version": version,
            "os": os_name,
            "os_version": os_version or None,
            "viewport_width": rnd.choice([390, 768, 1280, 1440, 1920]),
        },
        "logs": logs,
        "network": network,
    }
    if note:
        out["note"] = note
    return out


def build(seed: int = SEED) -> dict[str, Any]:
    rnd = random.Random(seed)
    assert len(SIZES) == len(FAILURES), (len(SIZES), len(FAILURES))
    sizes = SIZES[:]
    rnd.shuffle(sizes)
    reports: list[dict[str, Any]] = []
    distractors = 0
    for f, size in zip(FAILURES, sizes, strict=True):
        for _ in range(size):
            reports.append(report(rnd, f, f.key, False))
        for i, twist in enumerate(f.twists):
            note = twist.get("note", "")
            changes = {k: v for k, v in twist.items() if k in ("req", "err")}
            variant = replace(f, **changes, alt_statuses=())
            reports.append(report(rnd, variant, f"{f.key}~distractor{i + 1}", True, note))
            distractors += 1
    # Another generic distractor per request failure: the same page and words, no failure at all
    # in the captures (a layout or copy complaint).
    for f in FAILURES[::3]:
        plain = replace(f, req=None, err=None)
        reports.append(report(rnd, plain, f"{f.key}~nocapture", True, "same words, nothing failed"))
        distractors += 1
    rnd.shuffle(reports)
    for i, r in enumerate(reports, 1):
        r["id"] = f"r{i:03d}"
    groups = sorted({r["group"] for r in reports if not r["distractor"]})
    return {
        "seed": seed,
        "generator": "bench/similar/generate.py",
        "counts": {
            "reports": len(reports),
            "groups": len(groups),
            "grouped_reports": len(reports) - distractors,
            "distractors": distractors,
        },
        "reports": [{"id": r.pop("id"), **r} for r in reports],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    data = build(args.seed)
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}: {data['counts']}")


if __name__ == "__main__":
    main()
