import AgentGantry
import Foundation
import Logging
import MCP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MCP's stdio transport — one JSON-RPC message per line — over two file descriptors, read by a
/// thread of its own that blocks in `read(2)`, so a message is handled the moment it arrives.
/// Why not the SDK's `StdioTransport`: it switches the descriptors to non-blocking mode (which
/// also changes them for every process sharing them, a terminal included) and, finding nothing to
/// read, sleeps 10 ms before looking again — about 10 ms added to a `find_tools` that takes 0.3 ms
/// (measured: `Benchmarks/Sources/MCPLatency`). `tools/call` requests go to `shortcut` when there
/// is one, everything else to the SDK's server. A line longer than `maximumLineBytes` is dropped
/// (logged), not buffered without end. `drain(within:)` waits for the answers to the requests
/// received, so that a client that closes its output after its last request still gets them.
actor LineTransport: Transport {
    nonisolated let logger: Logger
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var started = false
    /// Answers `tools/call` requests in place of the SDK's server (nil: every message to it).
    private let shortcut: ToolCallShortcut?
    /// The ids of the requests received and not answered yet.
    private let unanswered = NSLock.Protected(Set<JSONValue>())
    /// Held while a line is written (answers are written from several tasks).
    private let writing = NSLock()

    /// The longest message taken, in bytes.
    static let maximumLineBytes = 16 << 20

    /// A transport reading `input` and writing `output` (standard input and output by default);
    /// `shortcut` answers the `tools/call` requests itself.
    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, shortcut: ToolCallShortcut? = nil, logger: Logger) {
        (self.input, self.output, self.shortcut, self.logger) = (input, output, shortcut, logger)
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Starts the reading thread (once).
    func connect() async throws {
        guard !started else { return }
        started = true
        Thread.detachNewThread { [self] in
            readLines { message in
                if let shortcut, let call = ToolCallShortcut.toolCall(in: message) {
                    unanswered.withLock { _ = $0.insert(call.id) }
                    Task {
                        try? writeLine(await shortcut.answer(call))
                        unanswered.withLock { _ = $0.remove(call.id) }
                    }
                } else {
                    if let envelope = Envelope(message), let id = envelope.id, envelope.method != nil { unanswered.withLock { _ = $0.insert(id) } }
                    continuation.yield(message)
                }
            }
            continuation.finish()
        }
    }

    /// Waits until every request received has been answered, or `limit` has passed.
    func drain(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while !unanswered.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Ends the stream of messages (the reading thread ends at the end of the input).
    func disconnect() async {
        continuation.finish()
    }

    /// Writes a message of the SDK's server.
    func send(_ data: Data) async throws {
        try writeLine(data)
        if let envelope = Envelope(data), let id = envelope.id, envelope.method == nil { _ = unanswered.withLock { $0.remove(id) } }
    }

    /// The messages for the SDK's server, in order; it ends with the input.
    func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// Writes `data` and a newline, whole, before any other line.
    private nonisolated func writeLine(_ data: Data) throws {
        var line = data
        line.append(UInt8(ascii: "\n"))
        writing.lock()
        defer { writing.unlock() }
        try line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(output, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MCPError.transportError(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                }
                offset += written
            }
        }
    }

    /// Reads the input until its end or an error (logged), giving each non-empty line to `take`.
    private nonisolated func readLines(_ take: (Data) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var pending = [UInt8](), dropping = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                logger.error("reading the input failed: \(String(cString: strerror(errno)))")
                return
            }
            if count == 0 { return }
            var start = 0
            for i in 0..<count where buffer[i] == UInt8(ascii: "\n") {
                if !dropping {
                    pending.append(contentsOf: buffer[start..<i])
                    if !pending.isEmpty { take(Data(pending)) }
                }
                (pending, dropping, start) = ([], false, i + 1)
            }
            if !dropping { pending.append(contentsOf: buffer[start..<count]) }
            if pending.count > Self.maximumLineBytes {
                logger.error("dropped a message longer than \(Self.maximumLineBytes) bytes")
                (pending, dropping) = ([], true)
            }
        }
    }

    /// What `drain` needs of a message of the SDK's server: its id, and its method when it is a
    /// request.
    private struct Envelope: Decodable {
        let id: JSONValue?
        let method: String?

        init?(_ data: Data) {
            guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data) else { return nil }
            self = envelope
        }
    }
}
