"""Portal application plugins (网上申请插件): what a citizen fills in to apply for an item online.

The portal knows no business line. A case-type definition names the plugin its applications are
made with (``Definition.application``, a code such as ``"assistance.means"``); a line's portal
package registers an :class:`ApplicationPlugin` under that code into :data:`APPLICATIONS` when its
Django app is ready. The online items (我要申请, the 我要申请 links of the 办事指南) are the published
case types that are ``online`` and name a registered plugin (:func:`.apply.online_types`).

What the portal does for every plugin (``apply.py``, ``views_apply.py``):

- 我要申请: choose the item and whom one applies for (本人, a family member, 协理员代办); a ``Draft``
  (SM4-encrypted JSON, one per citizen and item) is started with the keys ``acting_as``,
  ``agent_name``, ``person_id`` and whatever :meth:`ApplicationPlugin.start` returns;
- the step pages ``/portal/apply/<pk>/<step>/``: the steps are the plugin's :attr:`~ApplicationPlugin.steps`
  in order, with the step bar, back links, errors (422) and, after a successful POST, the draft
  moved on to the next step;
- the portal's own step :data:`MATERIALS` (uploads of the case type's materials, sniffed and
  size-limited, stored in the region ``data["region_code"]``) for a plugin that lists it;
- submission (``/portal/apply/<pk>/submit/``, posted from the last step's page): the citizen must
  be bound and allowed to act for ``data["person_id"]``; :meth:`ApplicationPlugin.check` may refuse
  first; then in one transaction :meth:`ApplicationPlugin.submit` opens the case (channel
  ``portal``) and attaches its materials, and the portal records the ``Submission`` (who, in what
  capacity), audits it and deletes the draft;
- the page after submission (``apply/done/<number>/``), with the plugin's :attr:`~ApplicationPlugin.done_template`.
"""

from __future__ import annotations

from dataclasses import dataclass

from minzheng.foundation.plugins import Registry


@dataclass(frozen=True)
class Step:
    """One page of an application. ``template`` renders it with the context described in
    :meth:`ApplicationPlugin.context`; ``""`` is the portal's generic form page
    (``portal/apply/form_step.html``: the Django form in ``context["form"]``, a 下一步 button)."""

    code: str
    name: str
    template: str = ""


# The portal's own step: upload the materials the case type's definition lists. A plugin lists it
# among its steps where the citizen should upload; the portal handles its page and POST.
MATERIALS = Step("materials", "上传材料", "portal/apply/materials.html")


class ApplicationPlugin:
    """The contract of an application plugin. Subclass it, set :attr:`steps`, implement
    :meth:`start` and :meth:`submit` (and :meth:`post`/:meth:`context` for steps with input), and
    register an instance: ``APPLICATIONS["line.code"] = MyApplication()``."""

    #: the pages in order; the last one is the confirmation page whose form posts to
    #: ``portal:apply_submit``
    steps: tuple[Step, ...] = ()
    #: material codes the plugin writes itself at submission (shown as 自动生成 on the upload page)
    generated: frozenset[str] = frozenset()
    #: extra URL patterns of the plugin's own actions, included under ``/portal/`` in the ``portal``
    #: namespace when the URLconf loads (e.g. signing a 授权书); none for most plugins
    urlpatterns: tuple = ()
    #: included in the page after submission (context: ``case``, ``township`` and :meth:`done_context`)
    done_template: str = ""
    #: what citizens apply for with it, in a few words for the portal's home page (我要申请:
    #: "低保、特困、临时救助"); "" to say nothing there
    summary: str = ""

    def step(self, code: str) -> Step | None:
        return next((s for s in self.steps if s.code == code), None)

    def start(self, *, citizen, case_type, person, acting_as: str) -> dict:
        """The first contents of a new draft for ``person`` (a registry ``Person`` or None when the
        citizen applies for themself and is not in the registry). Raise ``ValidationError`` (or
        ``Refused``) to refuse before anything is entered, e.g. a second running application."""
        raise NotImplementedError

    def post(self, request, *, citizen, draft, step: str):
        """Save what was posted on ``step``: raise ``ValidationError`` (the page is shown again with
        the errors, 422), return an ``HttpResponse`` to answer yourself (e.g. a redirect back to an
        anchor), or ``None``: the draft moves on to the next step."""
        return None

    def context(self, request, *, citizen, draft, data: dict, step: str, errors: dict) -> dict:
        """What the step's template needs beyond the portal's context (``draft``, ``data`` — the
        decrypted draft —, ``item_name``, ``step``, ``steps``, ``step_index``, ``step_name``,
        ``next_step``, ``next_step_name``, ``prev_step``, ``errors``, ``posted`` after a failed POST)."""
        return {}

    def check(self, *, citizen, draft, data: dict, case_type) -> None:
        """Refusals before anything is written at submission (ValidationError / Refused)."""

    def submit(self, *, citizen, draft, data: dict, case_type):
        """Open the case (``cases.services.case_open``, channel ``portal``) and attach its materials
        (the uploads with :func:`.apply.uploads_attach`); runs inside the portal's transaction.
        Returns the case."""
        raise NotImplementedError

    def notices(self, citizen) -> list[dict]:
        """Notices on 我要申请 for this citizen: ``{"id", "text", "link", "url"}``."""
        return []

    def done_context(self, case) -> dict:
        return {}


APPLICATIONS: Registry = Registry("网上申请插件")

# path segments the portal's own URLs take after ``apply/<pk>/``: a step of that name would be shadowed
RESERVED_STEPS = frozenset({"upload", "submit", "discard"})


def plugin_problems(code: str, plugin: ApplicationPlugin) -> list[str]:
    """What is wrong with a registered plugin's declaration (checked at start-up, ``portal.E001``)."""
    problems = []
    codes = [s.code for s in plugin.steps]
    if not codes:
        problems.append(f"网上申请插件「{code}」没有步骤")
    if len(set(codes)) != len(codes):
        problems.append(f"网上申请插件「{code}」的步骤代码重复")
    if reserved := sorted(set(codes) & RESERVED_STEPS):
        problems.append(f"网上申请插件「{code}」的步骤代码 {', '.join(reserved)} 与门户的地址冲突")
    if codes and codes[-1] == MATERIALS.code:
        problems.append(f"网上申请插件「{code}」的最后一步须是确认提交页，不能是上传材料")
    return problems


def check_plugins(app_configs=None, **kwargs):
    from django.core.checks import Error

    return [Error(p, id="portal.E001") for code, plugin in APPLICATIONS.items() for p in plugin_problems(code, plugin)]
