import Foundation

/// Runs the built `gantry` binary (next to the test bundle) with extra environment variables.
func runGantry(_ arguments: [String], environment extra: [String: String] = [:], in workingDirectory: String? = nil) throws -> (status: Int32, output: String) {
    try startGantry(arguments, environment: extra, in: workingDirectory).finish()
}

/// A `gantry` process started by `startGantry`.
struct StartedGantry {
    let process: Process
    /// What it prints: stdout, and stderr too unless `interactive`.
    let pipe: Pipe
    /// Its stdin, when started `interactive` (otherwise it reads the tests' own).
    let input: Pipe?

    /// Waits for the process; its exit status and everything it printed (stdout and stderr).
    func finish() -> (status: Int32, output: String) {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Starts the built `gantry` binary without waiting for it. With `interactive`, `pipe` gets
/// stdout alone (stderr goes to the tests' own) and `input` is the process's stdin.
func startGantry(_ arguments: [String], environment extra: [String: String] = [:], in workingDirectory: String? = nil,
                 interactive: Bool = false) throws -> StartedGantry {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: gantryBinaryPath())
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    // A store named in the developer's environment must not change what a test runs on.
    var environment = ProcessInfo.processInfo.environment
    environment["GANTRY_STORE_URL"] = nil
    process.environment = environment.merging(extra) { $1 }
    let pipe = Pipe(), input = interactive ? Pipe() : nil
    process.standardOutput = pipe
    if let input { process.standardInput = input } else { process.standardError = pipe }
    try process.run()
    return StartedGantry(process: process, pipe: pipe, input: input)
}

/// The built `gantry` binary, next to the test bundle.
func gantryBinaryPath() -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gantry").path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("gantry").path
}
