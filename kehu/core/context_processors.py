from django.urls import reverse

from .actions import unread_count
from .registry import modules, navigation


def module_links(user, module: str, current_url: str) -> list[dict]:
    """The current module's object lists and pages the user may open (the secondary nav)."""
    from .registry import registry

    entries = [
        (ot.menu_order, 0, ot.verbose_name_plural(), reverse(ot.url_name("list")), "")
        for ot in registry.values()
        if ot.app_label == module and ot.in_menu and ot.allows(user)
    ]
    entries += [
        (p.order, 1, p.label, reverse(p.url_name), p.icon)
        for p in registry.pages.values()
        if p.module == module and (p.perm is None or user.has_perm(p.perm))
    ]
    entries.sort(key=lambda e: (e[0], e[1]))  # stable: registration order within an order
    links = [{"label": label, "url": url, "icon": icon} for _o, _k, label, url, icon in entries]
    for link in links:
        link["active"] = current_url.startswith(link["url"])
    return links


def navbar_links(user) -> list[dict]:
    """The registered top-bar links with their badge counts (``register_navbar_link``)."""
    from .registry import registry

    links = sorted(registry.store("navbar_links").values(), key=lambda n: (n.order, n.key))
    return [
        {
            "key": n.key,
            "label": n.label,
            "icon": n.icon,
            "url": reverse(n.url_name),
            "count": n.count(user) if n.count else 0,
        }
        for n in links
    ]


def shell(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    current = request.resolver_match.namespace if request.resolver_match else ""
    return {
        "nav": [
            {
                "key": m.key,
                "label": m.label,
                "icon": m.icon,
                "url": reverse(m.url_name),
                "active": m.key == current,
            }
            for m in navigation()
        ],
        "unread_count": unread_count(user),
        "navbar_links": navbar_links(user),
        "module_links": module_links(user, current, request.path) if current in modules else [],
    }
