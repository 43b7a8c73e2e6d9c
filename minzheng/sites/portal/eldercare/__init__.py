"""The eldercare line's face on the portal (养老机构查询 and the care homes' institution pages).

A Django app of its own (``portal_eldercare``) so that the portal's generic code never names the
line: it registers the care-home kind in the public directory (``portal.directory``: district,
nature, grade, vacancies and monthly fee; each home's page with its beds, vacancies, fee schedule,
grade and published inspection results) and two pages of the institution site
(``portal.institution``): 预付费余额 (the home's reports per resident and deposits, and the form to
report them through ``eldercare.services.prepaid_report``) and 入住退住 (its residents' admissions
and discharges, read-only)."""
