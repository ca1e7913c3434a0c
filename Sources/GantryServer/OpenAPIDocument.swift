/// The OpenAPI 3.1 description of `gantry serve`'s API, served at `GET /openapi.json`. It is
/// checked against the running server by schemathesis in `.ci/run` (every documented status,
/// every answer's schema, bad input refused with a 4xx): change it with the endpoints.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "AgentGantry",
    "version": "1",
    "description": "Tool routing that learns from use. Register tools, retrieve the few right ones for a request, report what the agent did with them (by the retrieval's id), and train. Each token belongs to one tenant; a tenant's tools, reports, adapter and breakers are its own."
  },
  "servers": [{"url": "http://127.0.0.1:8080"}],
  "security": [{"bearer": []}],
  "paths": {
    "/healthz": {
      "get": {"summary": "The process is up.", "security": [], "operationId": "health",
              "responses": {"200": {"description": "Up.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}}
    },
    "/readyz": {
      "get": {"summary": "The server takes requests.", "security": [], "operationId": "ready",
              "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}}}}
    },
    "/v1/tools": {
      "get": {"summary": "The registered tools.", "operationId": "listTools",
              "responses": {"200": {"description": "The tools, by name.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ToolList"}}}},
                            "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Register tools, or update those registered under their names (all or none).", "operationId": "registerTools",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Registration"}}}},
               "responses": {"200": {"description": "Registered.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Registered"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"},
                             "409": {"description": "A tool's name, or the name the providers get for it, would name another tool too.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/tools/{name}": {
      "delete": {"summary": "Remove a tool (by its name or its exported name).", "operationId": "removeTool",
                 "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}],
                 "responses": {"200": {"description": "Removed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Removed"}}}},
                               "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                               "404": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/retrieve": {
      "post": {"summary": "The best tools for a request, ready to send to OpenAI or Anthropic.", "operationId": "retrieve",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RetrieveRequest"}}}},
               "responses": {"200": {"description": "The matches, best first, and the retrieval's id.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Retrieval"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/selections": {
      "post": {"summary": "The agent picked a tool from a retrieval's matches.", "operationId": "reportSelection",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Selection"}}}},
               "responses": {"200": {"$ref": "#/components/responses/Recorded"}, "400": {"$ref": "#/components/responses/Error"},
                             "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/executions": {
      "post": {"summary": "How a call of a tool ended.", "operationId": "reportExecution",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Execution"}}}},
               "responses": {"200": {"$ref": "#/components/responses/Recorded"}, "400": {"$ref": "#/components/responses/Error"},
                             "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/feedback": {
      "post": {"summary": "The tool that was right for a retrieval (or a query), and the one picked instead.", "operationId": "reportFeedback",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Feedback"}}}},
               "responses": {"200": {"$ref": "#/components/responses/Recorded"}, "400": {"$ref": "#/components/responses/Error"},
                             "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/forget": {
      "post": {"summary": "Delete everything stored of a user.", "operationId": "forgetUser",
               "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Forget"}}}},
               "responses": {"200": {"description": "Deleted.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Forgotten"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/breakers": {
      "get": {"summary": "The tools whose circuit breaker is not closed.", "operationId": "breakers",
              "responses": {"200": {"description": "Breaker states by tool.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Breakers"}}}},
                            "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/train": {
      "post": {"summary": "Start training the tenant's adapter from its reports (one run at a time).", "operationId": "train",
               "responses": {"202": {"description": "Started.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
                             "200": {"description": "A run was already under way: this is it.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                             "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/train/{job}": {
      "get": {"summary": "A training run's state, and what it did once finished.", "operationId": "trainingJob",
              "parameters": [{"name": "job", "in": "path", "required": true, "schema": {"type": "string"}}],
              "responses": {"200": {"description": "The run.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}},
                            "401": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                            "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/events": {
      "get": {"summary": "The tenant's event log (feedback, executions, retrieval records and reports) as JSON lines.", "operationId": "exportEvents",
              "responses": {"200": {"description": "JSON lines.", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                            "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}},
      "post": {"summary": "Import an event log (JSON lines); up to the server's import limit (64 MiB unless set).", "operationId": "importEvents",
               "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string", "description": "JSON lines, as GET /v1/events gives them."}}}},
               "responses": {"200": {"description": "Imported.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Imported"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "408": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/mcp/servers": {
      "get": {"summary": "The tenant's declared MCP servers (declared with `gantry mcp add`, never over HTTP), each with its state.", "operationId": "listMCPServers",
              "responses": {"200": {"description": "The servers.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MCPServers"}}}},
                            "401": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/mcp/servers/{name}/enable": {
      "post": {"summary": "Start a declared MCP server now, and keep it enabled in the tenant's servers file.", "operationId": "enableMCPServer",
               "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
               "responses": {"200": {"description": "Enabled.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MCPServerSwitch"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "404": {"$ref": "#/components/responses/Error"}, "408": {"$ref": "#/components/responses/Error"},
                             "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/v1/mcp/servers/{name}/disable": {
      "post": {"summary": "Stop a declared MCP server now, and keep it disabled in the tenant's servers file.", "operationId": "disableMCPServer",
               "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
               "responses": {"200": {"description": "Disabled.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MCPServerSwitch"}}}},
                             "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                             "404": {"$ref": "#/components/responses/Error"}, "408": {"$ref": "#/components/responses/Error"},
                             "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}}}
    },
    "/metrics": {
      "get": {"summary": "Prometheus metrics: requests by route, status and tenant, their latency, reports, training runs, tools and breakers.", "security": [], "operationId": "metrics",
              "responses": {"200": {"description": "The Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}}}
    },
    "/openapi.json": {
      "get": {"summary": "This document.", "security": [], "operationId": "openAPI",
              "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    }
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token made by `gantry token`."}},
    "responses": {
      "Error": {"description": "A refusal: the code is stable, the message says what to change.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Recorded": {"description": "Stored.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recorded"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
      "ToolDefinition": {"type": "object", "description": "An OpenAI function ({type: function, function: {name, description, parameters}} or its flat form), an Anthropic tool ({name, description, input_schema}), an MCP tool ({name, title, description, inputSchema}) or AgentGantry's own ({name, description, parameters, tags, namespace, examples, deprecated}); any of them may carry tags, namespace, examples and deprecated beside it."},
      "Registration": {"type": "object", "additionalProperties": false, "required": ["tools"],
                       "properties": {"tools": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/ToolDefinition"}}}},
      "Registered": {"type": "object", "required": ["registered", "tools"], "properties": {"registered": {"type": "integer"}, "tools": {"type": "integer"}}},
      "Removed": {"type": "object", "required": ["removed"], "properties": {"removed": {"type": "string"}}},
      "Tool": {"type": "object", "required": ["name", "exported_name", "description", "namespace", "tags", "deprecated"],
               "properties": {"name": {"type": "string"}, "exported_name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                              "description": {"type": "string"}, "namespace": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                              "deprecated": {"type": "boolean"}, "parameters": {"type": ["object", "null"]}}},
      "ToolList": {"type": "object", "required": ["tools"], "properties": {"tools": {"type": "array", "items": {"$ref": "#/components/schemas/Tool"}}}},
      "Context": {"type": "object", "properties": {
        "user": {"type": ["string", "null"]}, "team": {"type": ["string", "null"]}, "session": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]}, "tags": {"type": ["array", "null"], "items": {"type": "string"}}}},
      "RetrieveRequest": {"type": "object", "additionalProperties": false, "required": ["query"], "properties": {
        "query": {"type": "string", "minLength": 1}, "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100, "default": 5},
        "user": {"type": ["string", "null"]}, "team": {"type": ["string", "null"]}, "session": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]}, "tags": {"type": ["array", "null"], "items": {"type": "string"}}}},
      "Match": {"type": "object", "required": ["tool", "exported_name", "score", "pinned", "breaker", "signals"], "properties": {
        "tool": {"type": "string"}, "exported_name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "score": {"type": "number"},
        "pinned": {"type": "boolean"}, "breaker": {"enum": ["closed", "open", "half_open"]},
        "signals": {"type": "object", "additionalProperties": {"type": "number"}}}},
      "Retrieval": {"type": "object", "required": ["retrieval", "matches", "openai_tools", "anthropic_tools"], "properties": {
        "retrieval": {"type": "string", "pattern": "^[0-9a-f]{16}$"}, "matches": {"type": "array", "items": {"$ref": "#/components/schemas/Match"}},
        "openai_tools": {"type": "array", "items": {"type": "object"}}, "anthropic_tools": {"type": "array", "items": {"type": "object"}}}},
      "Selection": {"type": "object", "additionalProperties": false, "required": ["retrieval", "tool"], "properties": {
        "retrieval": {"type": "string"}, "tool": {"type": "string"},
        "user": {"type": ["string", "null"]}, "team": {"type": ["string", "null"]}, "session": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]}, "tags": {"type": ["array", "null"], "items": {"type": "string"}}}},
      "Execution": {"type": "object", "additionalProperties": false, "required": ["tool", "outcome"], "properties": {
        "tool": {"type": "string"}, "outcome": {"enum": ["success", "failure", "timeout", "wrong_tool"]},
        "retrieval": {"type": ["string", "null"]}, "latency_ms": {"type": ["number", "null"], "minimum": 0},
        "user": {"type": ["string", "null"]}, "team": {"type": ["string", "null"]}, "session": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]}, "tags": {"type": ["array", "null"], "items": {"type": "string"}}}},
      "Feedback": {"type": "object", "additionalProperties": false, "required": ["correct"], "properties": {
        "correct": {"type": "string"}, "retrieval": {"type": ["string", "null"]}, "query": {"type": ["string", "null"]},
        "selected": {"type": ["string", "null"]},
        "user": {"type": ["string", "null"]}, "team": {"type": ["string", "null"]}, "session": {"type": ["string", "null"]},
        "namespace": {"type": ["string", "null"]}, "tags": {"type": ["array", "null"], "items": {"type": "string"}}}},
      "Recorded": {"type": "object", "required": ["recorded"], "properties": {"recorded": {"type": "boolean"}}},
      "Forget": {"type": "object", "additionalProperties": false, "required": ["user"], "properties": {"user": {"type": "string"}}},
      "Forgotten": {"type": "object", "required": ["events_deleted"], "properties": {"events_deleted": {"type": "integer"}}},
      "Breakers": {"type": "object", "required": ["breakers"], "properties": {"breakers": {"type": "object", "additionalProperties": {"enum": ["open", "half_open"]}}}},
      "Job": {"type": "object", "required": ["job", "state"], "properties": {
        "job": {"type": "integer"}, "state": {"enum": ["running", "finished", "failed"]}, "error": {"type": "string"},
        "applied": {"type": "boolean"}, "reason": {"type": ["string", "null"]}, "events": {"type": "integer"}, "requests": {"type": "integer"},
        "more_requests_needed": {"type": ["integer", "null"]}, "adapter_version": {"type": ["integer", "null"]}}},
      "Imported": {"type": "object", "required": ["imported"], "properties": {"imported": {"type": "integer"}}},
      "MCPServers": {"type": "object", "required": ["servers"], "properties": {"servers": {"type": "array", "items": {"type": "object",
        "required": ["name", "enabled", "state"], "properties": {"name": {"type": "string"}, "enabled": {"type": "boolean"},
        "state": {"enum": ["starting", "running", "waiting", "disabled"]}, "tools": {"type": "integer"},
        "reason": {"type": "string"}, "retry_in_s": {"type": "integer"}}}}}},
      "MCPServerSwitch": {"type": "object", "required": ["name", "enabled"], "properties": {"name": {"type": "string"}, "enabled": {"type": "boolean"}}}
    }
  }
}
"""#
}
