import AgentGantry
import Foundation
import Logging
import MCP

/// Runs the declared MCP servers (`UpstreamDeclarations`) for one gantry: starts each enabled
/// one as a child process spoken to over its standard input and output, lists its tools and
/// registers them as `<server>__<tool>` (its description, its input schema as the parameters,
/// the server's name as the namespace, tag `mcp`), keeps them in step when the server says its
/// list changed (tools gone are removed), and forwards calls to it (`call(_:arguments:)`). A
/// server that exits, does not answer its start within `startTimeout`, or cannot be started is
/// restarted after a pause that doubles from 1 s to 60 s (back to 1 s once it has run a minute);
/// meanwhile its tools stay registered — their history is kept — but `isAvailable` says no, and
/// `find_tools` leaves them out. One misbehaving server never stops the others or the router.
///
/// Several processes on one store each run the servers (each forwards its own calls), but only
/// the holder of the store's lease `mcp.servers` (`AgentGantry.takeLease(_:)`) writes their tools
/// to the registry; the others read them from the store, as they follow it, and try every
/// `leaseRetry` to take the lease over (then they bring the registry in step at once).
public actor UpstreamSupervisor {
    /// What a server is doing now.
    public enum State: Sendable, Equatable {
        /// Started, not yet through its handshake and list of tools.
        case starting
        /// Serving: its tools (this many) can be called.
        case running(tools: Int)
        /// Down since its last start failed or it exited: the reason, and when it is tried again.
        case waiting(reason: String, retryAt: ContinuousClock.Instant)
        /// Not started: disabled in its declaration, or by `setEnabled(_:_:)`.
        case disabled
    }

    /// A call that could not be forwarded.
    public enum CallError: Error, CustomStringConvertible {
        /// The server is not running (starting, waiting for its next start, or disabled).
        case unavailable(server: String, reason: String)
        /// The server did not answer within the limit (a call, or its start).
        case timedOut(server: String, after: Duration)
        /// The server's process ended during the call.
        case exited(server: String)

        /// The error in words, naming the server.
        public var description: String {
            switch self {
            case .exited(let server): "the MCP server \(server) exited during the call"
            case .unavailable(let server, let reason): "the MCP server \(server) is not available (\(reason)); it is being restarted"
            case .timedOut(let server, let after): "the MCP server \(server) did not answer within \(after)"
            }
        }
    }

    private let gantry: AgentGantry
    private let logger: Logger
    /// How long a server may take to start and list its tools.
    public let startTimeout: Duration
    /// How long a forwarded call may take.
    public let callTimeout: Duration
    private var declarations: [String: UpstreamDeclarations.Server] = [:]
    /// The order of the declarations, and the file they came from (written by `setEnabled`).
    private let order: [String]
    private let declarationsFile: String?
    private var states: [String: State] = [:]
    private var clients: [String: Client] = [:]
    private var processes: [String: Process] = [:]
    /// Per running server, a task that ends when its process exits (with its status).
    private var exits: [String: Task<Int32, Never>] = [:]
    private var runners: [String: Task<Void, Never>] = [:]
    /// Per server, a number that each enabling, disabling and stop increments: a start begun
    /// under an older number is abandoned, and changes nothing.
    private var generations: [String: Int] = [:]
    /// The store's lease of the servers' registrations, when this process holds it.
    private var lease: GantryLease?
    private var leaseTaker: Task<Void, Never>?
    /// How often a process without the lease tries to take it.
    public static let leaseRetry: Duration = .seconds(2)
    /// The lease's name.
    static let leaseName = "mcp.servers"

    /// A supervisor of `declarations` (read from `file`, if from one) registering their tools in
    /// `gantry`; `start()` starts them.
    public init(_ declarations: UpstreamDeclarations, file: String? = nil, gantry: AgentGantry, startTimeout: Duration = .seconds(10),
                callTimeout: Duration = .seconds(60), logger: Logger) {
        self.gantry = gantry
        (order, declarationsFile) = (declarations.servers.map(\.name), file)
        self.logger = logger
        (self.startTimeout, self.callTimeout) = (startTimeout, callTimeout)
        for server in declarations.servers {
            self.declarations[server.name] = server
            states[server.name] = server.enabled ? .starting : .disabled
        }
    }

    /// Starts every enabled server, without waiting for them: each one's tools become callable
    /// (and are offered) once it has started and listed them.
    public func start() {
        for server in declarations.values where server.enabled && runners[server.name] == nil {
            let generation = generations[server.name, default: 0]
            runners[server.name] = Task { await self.supervise(server, generation: generation) }
        }
        if leaseTaker == nil { leaseTaker = Task { await self.takeLease() } }
    }

    /// Tries to take the lease until it is taken (or the supervisor stops); then lists every
    /// running server's tools again, into the registry.
    private func takeLease() async {
        while !Task.isCancelled, lease == nil {
            do {
                lease = try await gantry.takeLease(Self.leaseName)
            } catch {
                logger.warning("the lease \(Self.leaseName) could not be taken: \(error)")
            }
            if lease != nil { break }
            try? await Task.sleep(for: Self.leaseRetry)
        }
        guard lease != nil else { return }
        logger.info("this process registers the MCP servers' tools (lease \(Self.leaseName))")
        for name in clients.keys.sorted() { await refresh(name) }
    }

    /// Stops every server (their processes are terminated) and their supervision.
    public func stop() async {
        for runner in runners.values { runner.cancel() }
        runners.removeAll()
        for name in declarations.keys { generations[name, default: 0] += 1 }
        leaseTaker?.cancel()
        leaseTaker = nil
        lease?.release()
        lease = nil
        for (name, process) in processes where process.isRunning {
            process.terminate()
            logger.info("stopped MCP server \(name)")
        }
        processes.removeAll()
        clients.removeAll()
    }

    /// Each declared server with its state, in the order of the declarations.
    public var servers: [(server: UpstreamDeclarations.Server, state: State)] {
        order.compactMap { name in declarations[name].map { ($0, states[name] ?? .disabled) } }
    }

    /// Starts (`enabled`) or stops the declared server `name` now, and keeps the choice in the
    /// declarations file for the next start. Throws `GantryError.invalidInput` when no server of
    /// that name is declared.
    public func setEnabled(_ name: String, _ enabled: Bool) async throws(GantryError) {
        guard var server = declarations[name] else { throw .invalidInput("no MCP server \(name) is declared") }
        guard server.enabled != enabled else { return }
        server.enabled = enabled
        declarations[name] = server
        generations[name, default: 0] += 1
        if enabled {
            states[name] = .starting
            let generation = generations[name, default: 0]
            runners[name] = Task { await self.supervise(server, generation: generation) }
        } else {
            runners.removeValue(forKey: name)?.cancel()
            if let process = processes.removeValue(forKey: name), process.isRunning { process.terminate() }
            (clients[name], exits[name], states[name]) = (nil, nil, .disabled)
        }
        if let declarationsFile {
            do {
                try UpstreamDeclarations(servers: order.compactMap { declarations[$0] }).write(to: declarationsFile)
            } catch {
                logger.error("\(declarationsFile) could not be written (\(error)); \(name) is \(enabled ? "enabled" : "disabled") until the router stops")
            }
        }
    }

    /// Whether the server `name` runs (its tools can be called).
    public func isAvailable(_ name: String) -> Bool {
        if case .running? = states[name] { return true }
        return false
    }

    /// The servers whose tools cannot be called now.
    public var unavailableServers: Set<String> {
        Set(states.compactMap { name, state in if case .running = state { nil } else { name } })
    }

    /// Forwards a call of `tool` (of the server `server`) with `arguments`: the server's result,
    /// `CallError` when it is down or does not answer within `callTimeout`.
    public func call(server: String, tool: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        guard let client = clients[server], isAvailable(server) else {
            let reason: String = switch states[server] {
            case .waiting(let reason, _)?: reason
            case .disabled?: "disabled"
            case .starting?: "starting"
            default: "not declared"
            }
            throw CallError.unavailable(server: server, reason: reason)
        }
        let context = try await client.send(CallTool.request(.init(name: tool, arguments: arguments)))
        return try await withDeadline(callTimeout, orThrow: CallError.timedOut(server: server, after: self.callTimeout),
                                      abandon: exits[server], orThrow: CallError.exited(server: server)) {
            try await context.value
        }
    }

    // MARK: supervision

    /// Starts `server`, waits for it to end, and starts it again after a back-off, until its
    /// generation passes (it is disabled, or the supervisor stops).
    private func supervise(_ server: UpstreamDeclarations.Server, generation: Int) async {
        var pause: Duration = .seconds(1)
        while generations[server.name, default: 0] == generation {
            let started = ContinuousClock.now
            var reason: String
            do {
                let exited = try await launch(server, generation: generation)
                let status = await exited.value
                reason = "it exited with status \(status)"
            } catch {
                reason = "\(error)"
            }
            guard generations[server.name, default: 0] == generation else { return }  // disabling or stopping cleaned up
            if let process = processes.removeValue(forKey: server.name), process.isRunning { process.terminate() }
            (clients[server.name], exits[server.name]) = (nil, nil)
            if ContinuousClock.now - started > .seconds(60) { pause = .seconds(1) }
            states[server.name] = .waiting(reason: reason, retryAt: .now + pause)
            logger.warning("MCP server \(server.name) is down (\(reason)); restarting in \(pause)")
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(60))
        }
    }

    /// Starts `server`'s process, initialises a client on its pipes and registers its tools:
    /// a task that ends with the process (its exit status). Throws when it cannot be started or
    /// does not answer within `startTimeout` (its process then terminated).
    private func launch(_ server: UpstreamDeclarations.Server, generation: Int) async throws -> Task<Int32, Never> {
        states[server.name] = .starting
        let process = Process(), toServer = Pipe(), fromServer = Pipe()
        if server.command.contains("/") {
            process.executableURL = URL(fileURLWithPath: server.command)
            process.arguments = server.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [server.command] + server.args
        }
        process.environment = ProcessInfo.processInfo.environment.merging(server.env) { $1 }
        (process.standardInput, process.standardOutput) = (toServer, fromServer)
        let (ended, end) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { end.yield($0.terminationStatus); end.finish() }
        try process.run()
        processes[server.name] = process
        let exited = Task { for await status in ended { return status }; return -1 }

        // The SDK's client logs every message it cannot read with the transport's logger: errors only.
        var quiet = logger
        quiet.logLevel = .error
        let transport = LineTransport(input: fromServer.fileHandleForReading.fileDescriptor,
                                      output: toServer.fileHandleForWriting.fileDescriptor, logger: quiet)
        let client = Client(name: "agent-gantry", version: GantryMCPServer.version)
        let name = server.name
        _ = await client.onNotification(ToolListChangedNotification.self) { _ in
            Task { await self.refresh(name) }
        }
        do {
            let registered = try await withDeadline(startTimeout, orThrow: CallError.timedOut(server: name, after: self.startTimeout)) {
                _ = try await client.connect(transport: transport)
                return try await self.synchronise(name, client: client, generation: generation)
            }
            guard generations[name, default: 0] == generation else { throw CancellationError() }
            (clients[name], exits[name]) = (client, exited)
            if !registered && lease != nil { await refresh(name) }  // the lease came while it started
        } catch {
            if process.isRunning { process.terminate() }
            throw error
        }
        logger.info("MCP server \(name) started")
        return exited
    }

    /// Lists the tools of `name` again and brings the registry in step (after a list change).
    private func refresh(_ name: String) async {
        guard let client = clients[name] else { return }
        let generation = generations[name, default: 0]
        do {
            try await withDeadline(startTimeout, orThrow: CallError.timedOut(server: name, after: self.startTimeout)) {
                try await self.synchronise(name, client: client, generation: generation)
            }
        } catch {
            logger.warning("MCP server \(name): the new list of tools could not be read (\(error)); the old one stays")
        }
    }

    /// Registers every tool `client`'s server lists as `<name>__<tool>`, removes those of its
    /// tools registered before that it no longer lists (both only with the lease: otherwise the
    /// holder does), and marks it running — all only while `generation` is the server's. Whether
    /// it wrote to the registry.
    @discardableResult
    private func synchronise(_ name: String, client: Client, generation: Int) async throws -> Bool {
        var listed = [MCP.Tool](), cursor: String?
        repeat {
            let page = try await client.listTools(cursor: cursor)
            listed += page.tools
            cursor = page.nextCursor
        } while cursor != nil && listed.count < 100_000
        let registered = listed.map { tool in
            GantryTool.upstream(server: name, name: tool.name, title: tool.title, description: tool.description,
                                      schema: tool.inputSchema.jsonValue)
        }
        guard generations[name, default: 0] == generation else { return false }
        let registers = lease != nil
        if registers {
            let keep = Set(registered.map(\.name))
            if !registered.isEmpty { try await gantry.register(registered) }
            for tool in await gantry.tools where tool.namespace == name && UpstreamDeclarations.split(tool.name)?.server == name && !keep.contains(tool.name) {
                try await gantry.remove(tool.name)
            }
        }
        if generations[name, default: 0] == generation { states[name] = .running(tools: registered.count) }
        return registers
    }
}
