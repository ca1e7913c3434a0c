"""Small MCP servers for scripts/mcp_client_check.py, on the official Python `mcp` package.

    python mcp_test_server.py docs     tools search, open_page, always_fails
    python mcp_test_server.py web      tools search, fetch_url, add_translate (which adds a tool
                                       `translate` and says the list changed)
    python mcp_test_server.py flaky    tools echo, crash (which ends the process at once), hang
    python mcp_test_server.py broken   writes lines that are not JSON-RPC and never answers
"""

import asyncio
import os
import sys
import time

kind = sys.argv[1]
if kind == "broken":
    try:
        while True:
            print("this is not a JSON-RPC message", flush=True)
            time.sleep(0.2)
    except BrokenPipeError:  # the router gave up on it and closed the pipe
        os._exit(0)

from mcp.server.fastmcp import Context, FastMCP

server = FastMCP(kind, log_level="WARNING")

if kind == "docs":
    @server.tool(description="Search the product documentation pages for a phrase.")
    def search(query: str) -> str:
        return f"docs: 3 pages about {query}"

    @server.tool(description="Open a documentation page by its path.")
    def open_page(path: str) -> str:
        return f"docs page {path}"

    @server.tool(description="Export the documentation as a PDF book.")
    def always_fails(title: str) -> str:
        raise RuntimeError("the PDF exporter is broken")

elif kind == "web":
    @server.tool(description="Search the public web for pages about a topic.")
    def search(query: str) -> str:
        return f"web: 10 results for {query}"

    @server.tool(description="Fetch a web page by its URL.")
    def fetch_url(url: str) -> str:
        return f"fetched {url}"

    @server.tool(description="Install the translation tool.")
    async def add_translate(ctx: Context) -> str:
        def translate(text: str, language: str) -> str:
            return f"{text} in {language}"
        server.add_tool(translate, name="translate", description="Translate a sentence into another language.")
        await ctx.session.send_tool_list_changed()
        return "translate installed"

elif kind == "flaky":
    @server.tool(description="Echo a message back.")
    def echo(message: str) -> str:
        return f"echo {message} from process {os.getpid()}"

    @server.tool(description="Crash the flaky server.")
    def crash() -> str:
        os._exit(3)

    @server.tool(description="Wait for ever.")
    async def hang() -> str:
        await asyncio.sleep(3600)
        return "woke up"

server.run()
