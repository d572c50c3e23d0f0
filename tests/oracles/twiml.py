#!/usr/bin/env python3
"""TwiML documents built with the OFFICIAL `twilio` Python package's builders
(VoiceResponse, MessagingResponse), printed as {name: xml} JSON. The integration test
`webhook_twiml.rs` renders the same documents with our own writer and compares them as
parsed XML (element names, attributes, text), so our TwiML is what Twilio's library makes.

The names and arguments are ours (the verbs Switchboard uses); the XML is the library's.
"""
import json

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

FORWARD_TO = "+15005550006"
BASE = "https://example.com"


def dial_forward():
    r = VoiceResponse()
    r.dial(FORWARD_TO, timeout=20, action=f"{BASE}/voice/dial-status", method="POST")
    return r


def dial_forward_number_noun():
    r = VoiceResponse()
    d = r.dial(timeout=20, action=f"{BASE}/voice/dial-status", caller_id="+15005550001")
    d.number(FORWARD_TO)
    return r


def say_polly():
    r = VoiceResponse()
    r.say("Please leave a message after the beep.", voice="Polly.Joanna")
    return r


def record_voicemail():
    r = VoiceResponse()
    r.record(
        max_length=120,
        play_beep=True,
        transcribe=True,
        transcribe_callback=f"{BASE}/voice/transcription",
        recording_status_callback=f"{BASE}/voice/recording-status",
        recording_status_callback_event="completed",
        action=f"{BASE}/voice/record-done",
    )
    return r


def record_minimal():
    r = VoiceResponse()
    r.record(max_length=120, play_beep=True, transcribe=True,
             recording_status_callback=f"{BASE}/voice/recording-status")
    return r


def voicemail_flow():
    r = VoiceResponse()
    r.say("The person you are calling is not available. Please leave a message.", voice="Polly.Joanna")
    r.record(max_length=120, play_beep=True, transcribe=True,
             recording_status_callback=f"{BASE}/voice/recording-status")
    r.hangup()
    return r


def sms_empty():
    return MessagingResponse()


def sms_reply():
    r = MessagingResponse()
    r.message("Thanks, we got your message.")
    return r


def voice_empty():
    return VoiceResponse()


DOCUMENTS = [dial_forward, dial_forward_number_noun, say_polly, record_voicemail, record_minimal,
             voicemail_flow, sms_empty, sms_reply, voice_empty]

if __name__ == "__main__":
    print(json.dumps({f.__name__: str(f()) for f in DOCUMENTS}, indent=1))
