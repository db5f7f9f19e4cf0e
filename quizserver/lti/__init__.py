"""LTI 1.3: launches from Moodle and ILIAS, deep links to a week, week scores to Moodle's gradebook (AGS).

Built on pylti1p3 (the pylti1p3next distribution): its message validation, OIDC login, deep-link and AGS/NRPS
services, with the tool's configuration (`toolconf`) and launch storage (`storage`) kept in the database.
The blueprint is in `routes`; `grades.enqueue_week_grade` is what the answer path calls.
"""
