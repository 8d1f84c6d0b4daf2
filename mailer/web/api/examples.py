"""Examples of the API's bodies and answers, for its OpenAPI document (and so for the docs
page, /api/v1/docs): data only, in the shapes the routes really take and give."""
from __future__ import annotations

JOB_ID = "j3f9c2a7d41e8b06c5a9f1e27"
MESSAGE_ID = "AAMkAGI2TG93AAA="

SUBMIT_JSON = {"from": "sales@contoso.example", "to": ["alex@contoso.example"],
               "cc": ["megan@contoso.example"], "subject": "Your order 1042 has shipped",
               "html": "<p>Hello Alex,</p><p>your order is on its way.</p>",
               "importance": "normal"}
SUBMIT_FORM = {"message": '{"from": "sales@contoso.example", "to": ["alex@contoso.example"], '
                          '"subject": "Invoice 1042", "text": "The invoice is attached."}',
               "attachments": ["invoice-1042.pdf"]}
JOB = {"id": JOB_ID, "state": "queued", "sender": "sales@contoso.example",
       "batch": f"job:{JOB_ID}", "created": 1796640000.25, "updated": 1796640000.25,
       "sent_at": None, "cancelled_at": None, "attempts": 0, "throttled": 0,
       "plan": "sendmail", "error": None}
JOB_SENT = {**JOB, "state": "sent", "updated": 1796640002.5, "sent_at": 1796640002.5,
            "attempts": 1}
JOB_CANCELLED = {**JOB, "state": "cancelled", "cancelled_at": 1796640001.0}
ITEM = {"id": MESSAGE_ID, "subject": "Re: Your order 1042", "from": "alex@contoso.example",
        "to": ["sales@contoso.example"], "received": "2026-12-07T09:30:00Z", "is_read": False,
        "has_attachments": False, "importance": "normal", "preview": "Thanks, it arrived."}
MESSAGE = {**ITEM, "body": "<p>Thanks, it arrived.</p>", "body_type": "html"}
LIST = {"mailbox": "sales@contoso.example", "messages": [ITEM]}
READ = {"id": MESSAGE_ID, "is_read": True}
ERRORS = {
    400: {"code": "invalid_request", "message": "to: To: 'alex@' is not a valid email address "
          "(There must be something after the @-sign.).",
          "field": "to", "graph_code": None},
    401: {"code": "unauthorized", "message": "Give a live API key as 'Authorization: Bearer "
          "<key>' (an admin makes one on the API keys page).", "field": "Authorization",
          "graph_code": None},
    403: {"code": "forbidden", "message": "This API key may not act for adele@contoso.example: "
          "it is scoped to sales@contoso.example.", "field": "from", "graph_code": None},
    404: {"code": "not_found", "message": f"There is no job {JOB_ID} (jobs are kept JOB_TTL "
          "seconds).", "field": "job_id", "graph_code": None},
}


def error(status: int) -> dict:
    return {"error": ERRORS[status]}
