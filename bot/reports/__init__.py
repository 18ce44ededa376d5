"""Anonymous abuse reports: partners, encryption, storage, delivery, follow-up, expiry.

Nothing here knows who the reporter is: a report is stored sealed to the partner
that receives it, found again only by a receipt code the reporter holds, and
linked to no channel identifier or pseudonym.
"""

# The report form's slots, in the order they are asked (domain.yml: report_form).
# report_origin is asked only when the reporter wants their consulate to get a summary
# and has not said where they are from; report_fix only when they want to change an
# answer before sending (see bot.report_dialogue.required_slots).
REPORT_SLOTS = ("report_category", "report_destination", "report_city", "report_employer",
                "report_when", "report_minor", "report_account", "report_consulate",
                "report_origin", "report_contact", "report_fix", "report_consent")
