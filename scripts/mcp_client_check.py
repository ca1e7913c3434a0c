"""The official MCP Python client against `gantry serve`, over stdio and streamable HTTP.

Run by scripts/check-mcp (which starts the HTTP server and makes its token). Over each
transport: the handshake, `tools/list` (three tools, each with an input schema), `find_tools`
(whose structured result the client validates against the tool's output schema), a correction
by `report_wrong_tool` that puts the right tool first for the next `find_tools`, outcomes by
`report_outcome` under the name a provider accepts, and mistakes answered as tool errors or
protocol errors. Then routing across MCP servers (scripts/mcp_test_server.py, declared with
`gantry mcp add`): two servers that both offer `search`, a tool added while running, a server
that crashes in a call, a call that never ends, and a server that never speaks the protocol;
and two routers on one store, of which one registers the servers' tools (the store's lease)
until it ends, and then the other. Prints one line per check and "N passed, 0 failed" at the end; exits 1 on the
first failure.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

TOOLS = [
    {"name": "cancel_subscription", "description": "End the plan for good and stop future charges."},
    {"name": "pause_subscription", "description": "Pause billing for a while; the plan resumes later."},
    {"name": "restart_service", "description": "Restart a production service or deployment."},
    {"name": "send_email", "description": "Send an email to a customer or a colleague."},
    {"name": "billing/refund", "description": "Refund a payment to the customer's card.",
     "inputSchema": {"type": "object", "properties": {"payment_id": {"type": "string"}}, "required": ["payment_id"]}},
]
PROVIDER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    passed += 1
    print(f"ok: {what}", flush=True)


async def exercise(session, transport, offered):
    """Every check on an initialised session of `transport` (a word for the messages), whose
    tools/list is to give the tools `offered`."""
    init = await session.initialize()
    check(init.serverInfo.name == "agent-gantry" and init.capabilities.tools is not None,
          f"{transport}: initialize answers agent-gantry with the tools capability")
    listed = (await session.list_tools()).tools
    check(sorted(t.name for t in listed) == offered and all(t.inputSchema.get("type") == "object" and t.description for t in listed),
          f"{transport}: tools/list gives {', '.join(offered)} with schemas")

    query = "stop charging me for the plan"
    found = await session.call_tool("find_tools", {"query": query, "limit": 3})
    tools = found.structuredContent["tools"]
    check(not found.isError and len(tools) == 3 and json.loads(found.content[0].text) == found.structuredContent,
          f"{transport}: find_tools gives 3 tools, structured and as text (validated against its output schema)")
    check(all(PROVIDER_NAME.match(t["name"]) and t["inputSchema"].get("type") == "object" for t in tools),
          f"{transport}: every tool found is named as providers require, with an input schema")
    ranked = [t["name"] for t in tools]
    corrected = await session.call_tool("report_wrong_tool", {
        "retrieval": found.structuredContent["retrieval"], "tool": ranked[0], "correct": ranked[1]})
    check(not corrected.isError and corrected.structuredContent == {"recorded": True},
          f"{transport}: report_wrong_tool records a correction")
    again = await session.call_tool("find_tools", {"query": query, "limit": 3})
    check(again.structuredContent["tools"][0]["name"] == ranked[1],
          f"{transport}: after the correction find_tools ranks {ranked[1]} first")

    refund = await session.call_tool("find_tools", {"query": "give the customer their money back", "limit": 1})
    offered = refund.structuredContent["tools"][0]
    check(offered["name"].startswith("billing_refund_") and offered["inputSchema"]["required"] == ["payment_id"],
          f"{transport}: billing/refund is offered as {offered['name']} with its input schema")
    outcome = await session.call_tool("report_outcome", {
        "tool": offered["name"], "outcome": "success", "latency_ms": 120.5,
        "retrieval": refund.structuredContent["retrieval"], "user": "check-user"})
    check(not outcome.isError, f"{transport}: report_outcome under the exported name is recorded")

    missing = await session.call_tool("find_tools", {"limit": 2})
    check(missing.isError and "query" in missing.content[0].text, f"{transport}: find_tools without a query is a tool error")
    unknown = await session.call_tool("report_outcome", {"tool": "no_such_tool", "outcome": "success"})
    check(unknown.isError and "no_such_tool" in unknown.content[0].text, f"{transport}: an unknown tool is a tool error")
    try:
        await session.call_tool("drop_database", {})
        check(False, f"{transport}: calling a tool AgentGantry does not offer fails")
    except McpError as error:
        check("find_tools" in str(error), f"{transport}: calling a tool AgentGantry does not offer is a protocol error")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gantry", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()

    # stdio: the tools registered by another process (`gantry stdio`) on the store it serves.
    store = f"{args.work}/stdio.sqlite"
    registered = subprocess.run([args.gantry, "stdio", "--store", store], capture_output=True, text=True,
                                input=json.dumps({"op": "register", "tools": TOOLS}) + "\n")
    check(registered.returncode == 0 and '"ok":true' in registered.stdout.splitlines()[-1], "gantry stdio registers the tools")
    server = StdioServerParameters(command=args.gantry, args=["serve", "--mcp-stdio", "--store", store])
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise(session, "stdio", ["find_tools", "report_outcome", "report_wrong_tool"])

    # HTTP: the tools registered through the HTTP API of the same server, for the token's tenant.
    import urllib.request
    request = urllib.request.Request(f"{args.url}/v1/tools", data=json.dumps({"tools": TOOLS}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        check(answer.status == 200, "POST /v1/tools registers the tools")
    headers = {"Authorization": f"Bearer {args.token}"}
    async with streamablehttp_client(f"{args.url}/mcp", headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await exercise(session, "http", ["call_tool", "find_tools", "report_outcome", "report_wrong_tool"])
            await http_upstreams(session, args)
    try:
        async with streamablehttp_client(f"{args.url}/mcp", headers={"Authorization": "Bearer not-a-token"}) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
        check(False, "http: a bad token is refused")
    except Exception as error:  # the client raises its own error (or a group of them) for the 401
        check("401" in repr(error) or "Unauthorized" in repr(error), "http: a bad token is refused (401)")
    await upstreams(args)
    await two_processes(args)
    print(f"mcp: {passed} passed, 0 failed")


async def eventually(session, query, limit, condition, seconds=30):
    """The tool names find_tools gives for `query` once `condition(names)` holds (or at the end)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await session.call_tool("find_tools", {"query": query, "limit": limit})
        names = [t["name"] for t in found.structuredContent["tools"]]
        if condition(names) or asyncio.get_running_loop().time() > deadline:
            return names
        await asyncio.sleep(0.1)


async def call_once_running(session, name, arguments, seconds=30):
    """call_tool `name` once its server runs: a router that has just started may still be starting
    a server (its calls answer "starting"); the result of the first call that is not an error."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        called = await session.call_tool("call_tool", {"name": name, "arguments": arguments})
        if not called.isError or asyncio.get_running_loop().time() > deadline:
            return called
        await asyncio.sleep(0.1)


def http(args, method, path, body=None):
    """A request to the HTTP API with the tenant's token: (status, JSON answer)."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request(f"{args.url}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def http_upstreams(session, args):
    """The tenant's declared server over HTTP: its tools routed and called through /mcp, and
    listed, disabled and enabled again at /v1/mcp/servers (the choice kept in its file)."""
    names = await eventually(session, "search the product documentation", 3, lambda n: "docs__search" in n)
    check("docs__search" in names, "http: the tenant's declared server's tools are routed (docs__search)")
    called = await session.call_tool("call_tool", {"name": "docs__search", "arguments": {"query": "tenants"}})
    check(not called.isError and "docs: 3 pages about tenants" in called.content[0].text, "http: call_tool forwards to the tenant's server")
    status, listed = http(args, "GET", "/v1/mcp/servers")
    check(status == 200 and [(s["name"], s["state"], s.get("tools")) for s in listed["servers"]] == [("docs", "running", 3)],
          "http: GET /v1/mcp/servers lists the tenant's server, running with 3 tools")
    status, _ = http(args, "POST", "/v1/mcp/servers/docs/disable")
    stored = json.load(open(f"{args.work}/servers/acme.json"))
    check(status == 200 and stored["servers"][0]["enabled"] is False, "http: disabling a server stops it and keeps the choice in the file")
    refused = await session.call_tool("call_tool", {"name": "docs__search", "arguments": {"query": "x"}})
    check(refused.isError and "not available" in refused.content[0].text, "http: a disabled server's tools are not called")
    status, answer = http(args, "POST", "/v1/mcp/servers/nope/enable")
    check(status == 404 and "gantry mcp add" in answer["error"]["message"], "http: a server not declared cannot be enabled (404)")
    http(args, "POST", "/v1/mcp/servers/docs/enable")
    for _ in range(300):
        called = await session.call_tool("call_tool", {"name": "docs__search", "arguments": {"query": "again"}})
        if not called.isError:
            break
        await asyncio.sleep(0.1)
    check(not called.isError, "http: an enabled server starts again and answers")


async def upstreams(args):
    """`gantry serve --mcp-stdio --mcp-servers`: declared servers' tools routed and called."""
    servers = f"{args.work}/servers.json"
    test_server = f"{os.path.dirname(os.path.abspath(__file__))}/mcp_test_server.py"
    for kind in ["docs", "web", "flaky", "broken"]:
        added = subprocess.run([args.gantry, "mcp", "add", kind, "--servers", servers, "--", sys.executable, test_server, kind],
                               capture_output=True, text=True)
        check(added.returncode == 0, f"gantry mcp add {kind}")
    refused = subprocess.run([args.gantry, "mcp", "add", "two__parts", "--servers", servers, "--", "true"], capture_output=True, text=True)
    check(refused.returncode != 0 and "__" in refused.stderr, "gantry mcp add refuses a name with __ in it")

    store = f"{args.work}/routed.sqlite"
    server = StdioServerParameters(command=args.gantry, args=["serve", "--mcp-stdio", "--store", store, "--mcp-servers", servers,
                                                              "--mcp-start-timeout", "3", "--mcp-call-timeout", "2"])
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            listed = sorted(t.name for t in (await session.list_tools()).tools)
            check(listed == ["call_tool", "find_tools", "report_outcome", "report_wrong_tool"], "with servers declared, tools/list adds call_tool")
            names = await eventually(session, "search for pages about a topic", 10,
                                     lambda n: {"docs__search", "web__search", "flaky__echo"} <= set(n))
            check({"docs__search", "web__search"} <= set(names), "both servers' search tools are registered apart: docs__search, web__search")
            check(not any(n.startswith("broken__") for n in names), "the server that never speaks the protocol offers nothing")

            called = await session.call_tool("call_tool", {"name": "docs__search", "arguments": {"query": "install"}})
            check(not called.isError and "docs: 3 pages about install" in called.content[0].text, "call_tool forwards docs__search to the docs server")
            called = await session.call_tool("call_tool", {"name": "web__search", "arguments": {"query": "install"}})
            check(not called.isError and "web: 10 results for install" in called.content[0].text, "call_tool forwards web__search to the web server")

            await session.call_tool("call_tool", {"name": "web__add_translate", "arguments": {}})
            names = await eventually(session, "translate a sentence into French", 3, lambda n: "web__translate" in n)
            check("web__translate" in names, "a tool the web server adds (tools/list_changed) is registered")

            crashed = await session.call_tool("call_tool", {"name": "flaky__crash", "arguments": {}})
            check(crashed.isError and "exited" in crashed.content[0].text, "a server that dies in a call gives a tool error at once")
            echoed = None
            for _ in range(300):
                echoed = await session.call_tool("call_tool", {"name": "flaky__echo", "arguments": {"message": "hi"}})
                if not echoed.isError:
                    break
                await asyncio.sleep(0.1)
            check(not echoed.isError and "echo hi" in echoed.content[0].text, "the crashed server is restarted and answers again")

            hung = await session.call_tool("call_tool", {"name": "flaky__hang", "arguments": {}})
            check(hung.isError and "did not answer within 2" in hung.content[0].text, "a call the server never answers times out (--mcp-call-timeout)")

            found = await session.call_tool("find_tools", {"query": "export the documentation as a PDF book", "limit": 1})
            retrieval = found.structuredContent["retrieval"]
            for _ in range(5):
                failed = await session.call_tool("call_tool", {"name": "docs__always_fails", "arguments": {"title": "x"}, "retrieval": retrieval})
            check(failed.isError and "PDF exporter is broken" in failed.content[0].text, "a server's tool error comes back as a tool error")

    # Outcomes were recorded: five failures opened the breaker, as another process sees.
    breaker = subprocess.run([args.gantry, "stdio", "--store", store], capture_output=True, text=True,
                             input=json.dumps({"op": "breaker", "tool": "docs__always_fails"}) + "\n")
    state = json.loads(breaker.stdout.splitlines()[-1]).get("state")  # half open once its 30 s cool-down has passed
    check(state in ("open", "half_open"), f"call_tool recorded the failures: the breaker of docs__always_fails opened ({state})")



async def two_processes(args):
    """Two routers on one store: the first registers the servers' tools (it holds the lease), the
    second reads them from the store and calls them on servers of its own; when the first ends,
    the second takes the lease over and registers what changes from then on."""
    servers = f"{args.work}/two.json"
    test_server = f"{os.path.dirname(os.path.abspath(__file__))}/mcp_test_server.py"
    for kind in ["docs", "web"]:
        subprocess.run([args.gantry, "mcp", "add", kind, "--servers", servers, "--", sys.executable, test_server, kind], check=True,
                       capture_output=True)
    router = StdioServerParameters(command=args.gantry, args=["serve", "--mcp-stdio", "--store", f"{args.work}/shared.sqlite",
                                                              "--mcp-servers", servers, "--follow-ms", "50"])
    first_ready, first_may_end = asyncio.Event(), asyncio.Event()

    async def first_router():
        async with stdio_client(router) as (read, write):
            async with ClientSession(read, write) as first:
                await first.initialize()
                names = await eventually(first, "search the documentation", 5, lambda n: "docs__search" in n)
                check("docs__search" in names, "two routers: the first registers the servers' tools")
                first_ready.set()
                await first_may_end.wait()

    first = asyncio.create_task(first_router())
    await first_ready.wait()
    async with stdio_client(router) as (read, write):
        async with ClientSession(read, write) as second:
            await second.initialize()
            names = await eventually(second, "search the documentation", 5, lambda n: "docs__search" in n)
            check("docs__search" in names, "two routers: the second finds them in the store")
            called = await call_once_running(second, "docs__search", {"query": "lease"})
            check(not called.isError and "docs: 3 pages about lease" in called.content[0].text,
                  "two routers: the second calls the tools on servers of its own")
            # The second's web server adds a tool: the second, without the lease, does not register it.
            added = await call_once_running(second, "web__add_translate", {})
            check(not added.isError, "two routers: the second's own web server adds a tool")
            await asyncio.sleep(1.5)
            names = await eventually(second, "translate a sentence into French", 3, lambda n: False, seconds=0)
            check("web__translate" not in names, "two routers: the one without the lease writes nothing to the registry")
            first_may_end.set()
            await first
            names = await eventually(second, "translate a sentence into French", 3, lambda n: "web__translate" in n)
            check("web__translate" in names, "two routers: when the first ends, the second takes the lease and registers a tool added since")


asyncio.run(main())
