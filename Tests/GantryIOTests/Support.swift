import Foundation
import Testing

func fixture(_ name: String) -> String {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "gantry-io-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func contents(of path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func put(_ bytes: [UInt8], at path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// A second process holding an exclusive `flock` on a file (util-linux `flock(1)`, which
/// creates the file), as a writer in another process does on its temporary, until `release`.
final class LockHolder {
    private let process = Process()
    private let input = Pipe()

    /// Starts the holder and returns once it holds the lock.
    init(path: String) throws {
        let flock = try #require(["/usr/bin/flock", "/bin/flock"].first(where: FileManager.default.isExecutableFile),
                                 "flock(1) from util-linux is needed to hold a lock from another process")
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: flock)
        process.arguments = ["--exclusive", "--nonblock", path, "/bin/sh", "-c", "echo locked; exec cat"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var said = Data()
        while !said.contains(UInt8(ascii: "\n")) {  // "locked\n" once it holds the lock; EOF if it failed
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            said += more
        }
        try #require(String(decoding: said, as: UTF8.self) == "locked\n", "flock did not lock \(path)")
    }

    /// Ends the holder (closing its input ends `cat`, then `flock`), which releases the lock.
    func release() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
