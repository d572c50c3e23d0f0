# Texts the app from 1,000 simulated customers through the sandbox's simulator (signed
# webhooks to the app's listener, each acknowledged after its commit), one after another.
# Used by benches/desktop.sh and benches/tray_texts.sh.
# usage: send_texts.py <sandbox-sim.json> <count>
import base64, http.client, json, sys, urllib.parse
sim = json.load(open(sys.argv[1])); n = int(sys.argv[2])
u = urllib.parse.urlsplit(sim["base_url"])
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
auth = base64.b64encode(f'{sim["account_sid"]}:{sim["auth_token"]}'.encode()).decode()
path = f'/2010-04-01/Accounts/{sim["account_sid"]}/Sandbox/CustomerMessages.json'
for i in range(n):
    body = urllib.parse.urlencode({"From": f"+6141270{i % 1000:04d}", "To": sim["business_number"], "Body": f"tray text {i}"})
    conn.request("POST", path, body, {"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse(); r.read()
    if r.status != 201:
        sys.exit(f"text {i}: {r.status}")
