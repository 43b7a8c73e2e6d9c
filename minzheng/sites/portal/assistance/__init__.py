"""The assistance line's application on the portal: the means questionnaire (household, income,
expenses and property, the self-check estimate, uploads, each member's 授权书, confirmation) as one
application plugin, ``assistance.means``, named by the assistance case types' definitions.

A Django app of its own (``portal_assistance``) so that the portal's generic code never names the
line: this app registers the plugin when it is ready, and its templates live under
``templates/portal/assistance/``. The rules behind the questions (the assessment, the case types,
the materials) stay in :mod:`minzheng.business.assistance`; what is here is what a citizen fills
in, how it is checked and rendered, and how it becomes a case.
"""
