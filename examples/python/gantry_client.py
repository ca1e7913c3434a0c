"""A client for `gantry serve`, on Python's standard library alone.

    from gantry_client import GantryClient
    gantry = GantryClient("http://127.0.0.1:8080", token="gt_...")
    gantry.register_tools([openai_tool, anthropic_tool, mcp_tool])   # any of the three forms
    found = gantry.retrieve("cancel my subscription", limit=5, user="u1")
    tools = found["openai_tools"]            # ready for chat.completions(tools=...)
    # ... the model calls a tool by its (exported) name ...
    gantry.report_selection(found["retrieval"], name)
    gantry.report_execution(name, "success", retrieval=found["retrieval"], latency_ms=120)

Every method returns the server's JSON answer as a dict; an error answer raises GantryError
with the HTTP status, the error code and the message. Run this file to try a server:

    python3 gantry_client.py http://127.0.0.1:8080 TOKEN
"""

import json
import sys
import urllib.error
import urllib.request


class GantryError(Exception):
    """An error answer: `status` (HTTP), `code` (stable, e.g. "unknown_tool") and `message`."""

    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class GantryClient:
    def __init__(self, base_url, token, timeout=30):
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def _call(self, method, path, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode()
                if response.headers.get("Content-Type", "").startswith("application/x-ndjson"):
                    return text
                return json.loads(text)
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read().decode())["error"]
            except (ValueError, KeyError):
                answer = {"code": "http", "message": error.reason}
            raise GantryError(error.code, answer["code"], answer["message"]) from None

    @staticmethod
    def _context(user=None, team=None, session=None, namespace=None, tags=None):
        context = {"user": user, "team": team, "session": session, "namespace": namespace, "tags": tags}
        return {key: value for key, value in context.items() if value is not None}

    # Tools
    def register_tools(self, tools):
        """Registers (or updates) tools given as OpenAI functions, Anthropic or MCP tools, or AgentGantry's own."""
        return self._call("POST", "/v1/tools", {"tools": tools})

    def tools(self):
        return self._call("GET", "/v1/tools")["tools"]

    def remove_tool(self, name):
        return self._call("DELETE", "/v1/tools/" + urllib.request.quote(name, safe=""))

    # Retrieval
    def retrieve(self, query, limit=5, **context):
        """The best tools: "matches" with score breakdowns, "openai_tools", "anthropic_tools" and the "retrieval" id."""
        return self._call("POST", "/v1/retrieve", {"query": query, "limit": limit, **self._context(**context)})

    # Reports (by the retrieval id; a tool may be named as registered or as exported)
    def report_selection(self, retrieval, tool, **context):
        return self._call("POST", "/v1/selections", {"retrieval": retrieval, "tool": tool, **self._context(**context)})

    def report_execution(self, tool, outcome, retrieval=None, latency_ms=None, **context):
        """outcome: "success", "failure", "timeout", or "wrong_tool" (with the retrieval)."""
        body = {"tool": tool, "outcome": outcome, **self._context(**context)}
        if retrieval is not None:
            body["retrieval"] = retrieval
        if latency_ms is not None:
            body["latency_ms"] = latency_ms
        return self._call("POST", "/v1/executions", body)

    def report_correct_tool(self, correct, retrieval=None, query=None, selected=None, **context):
        body = {"correct": correct, **self._context(**context)}
        for key, value in (("retrieval", retrieval), ("query", query), ("selected", selected)):
            if value is not None:
                body[key] = value
        return self._call("POST", "/v1/feedback", body)

    def forget(self, user):
        return self._call("POST", "/v1/forget", {"user": user})

    # Training and state
    def train(self):
        """Starts training; returns {"job", "state"}. Poll training_job(job) until it is not "running"."""
        return self._call("POST", "/v1/train")

    def training_job(self, job):
        return self._call("GET", f"/v1/train/{job}")

    def breakers(self):
        return self._call("GET", "/v1/breakers")["breakers"]

    def export_events(self):
        """The tenant's event log as JSON lines."""
        return self._call("GET", "/v1/events")

    def import_events(self, json_lines):
        return self._call("POST", "/v1/events", raw=json_lines.encode())


def _demo(base_url, token):
    """Registers three tools in three providers' forms, retrieves, reports, and checks the answers."""
    gantry = GantryClient(base_url, token)
    gantry.register_tools([
        {"type": "function", "function": {"name": "cancel_subscription", "description": "Cancel a customer's subscription for good",
                                          "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}},
        {"name": "pause_subscription", "description": "Pause a subscription for a number of weeks",
         "input_schema": {"type": "object", "properties": {"weeks": {"type": "integer"}}}},
        {"name": "billing/refund", "description": "Refund a payment to the customer's card", "inputSchema": {"type": "object"}},
    ])
    found = gantry.retrieve("I want my money back for last month", limit=3, user="demo-user")
    names = [match["tool"] for match in found["matches"]]
    exported = [tool["function"]["name"] for tool in found["openai_tools"]]
    assert names[0] == "billing/refund", names
    assert exported[0] == found["matches"][0]["exported_name"] and "/" not in exported[0], exported
    assert [tool["name"] for tool in found["anthropic_tools"]] == exported
    gantry.report_selection(found["retrieval"], exported[0], user="demo-user")  # the exported name is understood
    gantry.report_execution(exported[0], "success", retrieval=found["retrieval"], latency_ms=87.5, user="demo-user")
    gantry.report_correct_tool("cancel_subscription", query="stop charging me every month", selected="pause_subscription")
    try:
        gantry.report_execution("no_such_tool", "success")
        raise AssertionError("an unknown tool was accepted")
    except GantryError as error:
        assert error.status == 404 and error.code == "unknown_tool", error
    log = gantry.export_events()
    assert log.count("\n") >= 2, log
    print(json.dumps({"top": names[0], "exported": exported[0], "retrieval": found["retrieval"], "events": log.count("\n")}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gantry_client.py BASE_URL TOKEN")
    _demo(sys.argv[1], sys.argv[2])
