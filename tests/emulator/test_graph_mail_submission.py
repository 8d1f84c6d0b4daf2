"""Sending from another mailbox: Send As, Send on Behalf, Full Access, Sent Items, app-only.

Demo grants (emulator/directory.py): Adele may send on behalf of Alex and of All Staff (a
distribution list), and as Sales (shared mailbox, with Full Access); Megan may send as Alex
without Full Access; Patti holds no rights.
"""
from __future__ import annotations

import pytest

ADELE, ALEX, MEGAN, PATTI = ("adele@contoso.example", "alex@contoso.example",
                             "megan@contoso.example", "patti@contoso.example")
SALES, STAFF = "sales@contoso.example", "allstaff@contoso.example"
DENIED = ("ErrorSendAsDenied", "The user account which was used to submit this request does not "
          "have the right to send mail on behalf of the specified sending account. Cannot submit "
          "message.")


def mail(sender=None, to="someone@example.org"):
    message = {"subject": "From another mailbox", "toRecipients": [{"emailAddress": {"address": to}}]}
    if sender:
        message["from"] = {"emailAddress": {"address": sender}}
    return {"message": message}


def addresses(message):
    return (message.props["from"]["emailAddress"]["address"],
            message.props["sender"]["emailAddress"]["address"])


def error_of(response):
    return response.json()["error"]["code"], response.json()["error"]["message"]


def test_send_on_behalf_through_me(graph_api, mailbox):
    assert graph_api.post("/me/sendMail", json=mail(ALEX, to=MEGAN)).status_code == 202
    (sent,) = mailbox(ADELE).in_folder("sentitems")
    assert addresses(sent) == (ALEX, ADELE)  # from the mailbox, sender the signed-in user
    assert mailbox(ALEX).in_folder("sentitems") == []
    (received,) = mailbox(MEGAN).in_folder("inbox")
    assert addresses(received) == (ALEX, ADELE)


def test_send_as_makes_sender_and_from_the_mailbox(graph_api, graph_token, mailbox):
    api = graph_api.as_(graph_token(MEGAN))
    assert api.post("/me/sendMail", json=mail(ALEX, to=PATTI)).status_code == 202
    (received,) = mailbox(PATTI).in_folder("inbox")
    assert addresses(received) == (ALEX, ALEX)
    assert len(mailbox(MEGAN).in_folder("sentitems")) == 1  # /me: the signer's Sent Items


def test_no_rights_is_error_send_as_denied(graph_api, graph_token, mailbox):
    response = graph_api.as_(graph_token(PATTI)).post("/me/sendMail", json=mail(ALEX, to=MEGAN))
    assert response.status_code == 403
    assert error_of(response) == DENIED
    assert mailbox(MEGAN).messages == {} and mailbox(PATTI).messages == {}


def test_rights_without_mail_send_shared_are_not_enough(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["Mail.Send", "User.Read"]))
    response = api.post("/me/sendMail", json=mail(ALEX))
    assert (response.status_code, error_of(response)) == (403, DENIED)


@pytest.mark.parametrize("sender", ["nobody@contoso.example", "someone@example.org"])
def test_from_an_unknown_mailbox_is_denied(graph_api, sender):
    assert error_of(graph_api.post("/me/sendMail", json=mail(sender))) == DENIED


def test_from_oneself_needs_nothing_more(graph_api, graph_token, mailbox):
    api = graph_api.as_(graph_token(scopes=["Mail.Send"]))
    assert api.post("/me/sendMail", json=mail(ADELE.upper())).status_code == 202
    assert addresses(mailbox(ADELE).in_folder("sentitems")[0]) == (ADELE, ADELE)


def test_through_users_saves_to_the_from_mailbox(graph_api, mailbox):
    assert graph_api.post(f"/users/{SALES}/sendMail", json=mail()).status_code == 202
    (sent,) = mailbox(SALES).in_folder("sentitems")
    assert addresses(sent) == (SALES, SALES)  # Send As
    assert mailbox(ADELE).in_folder("sentitems") == []


def test_through_users_without_full_access_is_denied(graph_api, graph_token):
    response = graph_api.as_(graph_token(MEGAN)).post(f"/users/{ALEX}/sendMail", json=mail())
    assert response.status_code == 403
    assert error_of(response)[0] == "ErrorAccessDenied"


def test_through_users_needs_mail_send_shared(graph_api, graph_token):
    api = graph_api.as_(graph_token(scopes=["Mail.Send"]))
    assert api.post(f"/users/{SALES}/sendMail", json=mail()).status_code == 403


def test_on_behalf_of_a_distribution_list(graph_api, mailbox):
    assert graph_api.post("/me/sendMail", json=mail(STAFF, to=PATTI)).status_code == 202
    assert addresses(mailbox(PATTI).in_folder("inbox")[0]) == (STAFF, ADELE)
    assert len(mailbox(ADELE).in_folder("sentitems")) == 1


def test_a_distribution_list_has_no_mailbox_to_send_through(graph_api):
    response = graph_api.post(f"/users/{STAFF}/sendMail", json=mail())
    assert response.status_code == 404
    assert error_of(response)[0] == "MailboxNotEnabledForRESTAPI"


def test_app_only_token_sends_as_any_user(graph_api, graph_token, mailbox):
    api = graph_api.as_(graph_token(roles=["Mail.Send"]))
    assert api.post(f"/users/{PATTI}/sendMail", json=mail(to=ALEX)).status_code == 202
    assert addresses(mailbox(ALEX).in_folder("inbox")[0]) == (PATTI, PATTI)
    assert len(mailbox(PATTI).in_folder("sentitems")) == 1


def test_app_only_without_the_role_is_denied(graph_api, graph_token):
    api = graph_api.as_(graph_token(roles=["User.Read.All"]))
    response = api.post(f"/users/{PATTI}/sendMail", json=mail())
    assert (response.status_code, error_of(response)[0]) == (403, "ErrorAccessDenied")


def test_app_only_cannot_use_me(graph_api, graph_token):
    response = graph_api.as_(graph_token(roles=["Mail.Send"])).post("/me/sendMail", json=mail())
    assert response.status_code == 400


def test_app_only_from_another_mailbox_follows_the_users_rights(graph_api, graph_token, mailbox):
    api = graph_api.as_(graph_token(roles=["Mail.Send"]))
    assert api.post(f"/users/{ADELE}/sendMail", json=mail(SALES, to=ALEX)).status_code == 202
    assert error_of(api.post(f"/users/{PATTI}/sendMail", json=mail(SALES))) == DENIED


def test_unknown_user_in_the_url(graph_api, graph_token):
    api = graph_api.as_(graph_token(roles=["Mail.Send"]))
    response = api.post("/users/ghost@contoso.example/sendMail", json=mail())
    assert response.status_code == 404
    assert error_of(response) == ("ErrorInvalidUser",
                                  "The requested user 'ghost@contoso.example' is invalid.")
