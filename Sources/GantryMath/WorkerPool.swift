import Dispatch
import Foundation
import GantryKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads kept for short parallel sections — the encoder's matrix products and attention, the
/// lexical half of a hybrid retrieval beside its dense search — where handing work to a thread
/// must cost far less than the microseconds the section lasts.
///
/// - **The caller takes part** (lane 0) and the section's parts are claimed one at a time from
///   one shared counter, so a worker the operating system does not schedule (the other core busy
///   with another process) leaves its parts to the caller: on a loaded machine a section runs
///   about as fast as on one thread, never waiting for a thread that has not started. Only a
///   part a worker has already claimed is waited for.
/// - **Workers spin, then park:** after its last part a worker polls for the next section for
///   `spinDuration` (by default 200 µs: the gap between one layer's products, or between the
///   retrievals of a busy server), then sleeps on a semaphore. A section that finds workers asleep
///   wakes them and starts without them; they join when they run (`both` wakes nobody).
/// - **One section at a time:** a section started while another runs (on another thread, or from
///   inside a part) runs on its caller alone, so sections never wait for each other and parts
///   may start sections of their own.
/// - **Backing off when workers are preempted:** a worker the operating system preempts in the
///   middle of a part (another process keeps the other core busy) makes the caller wait for a
///   time slice, milliseconds. A section whose caller waited longer for the workers' last parts
///   than it worked itself counts as lost; after a loss the next 8 sections run on their callers
///   alone (16, 32, … up to 1,024 after losses in a row), then one section tries the workers
///   again. Idle workers meanwhile sleep instead of competing for the cores.
///
/// `DispatchQueue.concurrentPerform` hands each of its iterations to a thread that must be woken,
/// a few microseconds each, and waits for every iteration however busy the machine is; the
/// encoder runs 30 sections per forward pass.
public final class WorkerPool: @unchecked Sendable {
    /// The pool the encoder, the router and `Matrix.gemm` use: one worker per core beyond the
    /// caller's, or `GANTRY_POOL_WORKERS` (0: every section on its caller).
    public static let shared = WorkerPool(workers: environmentValue("GANTRY_POOL_WORKERS").flatMap { Int($0) }.map { max(0, $0) }
        ?? max(0, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) - 1))

    /// The threads of the pool beside the caller.
    public let workerCount: Int
    /// How long a worker polls for the next section before it sleeps.
    public let spinDuration: Duration
    /// The most parts one section may have.
    public static let maximumParts = (1 << partBits) - 1

    /// Threads that may take part in a section: the workers and the caller.
    public var lanes: Int { workerCount + 1 }
    /// Workers asleep now (a moment's reading: they wake and sleep as sections come and go).
    public var sleepingWorkers: Int { sleepers.reduce(0) { $0 + ($1.asleep.load(ordering: .relaxed) ? 1 : 0) } }

    // The section on offer, in one word so that one compare-and-swap claims a part of exactly
    // the section it read: generation (upper bits) | part count | next unclaimed part.
    private let ticket = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let owned = Atomic<Bool>(false)
    /// One per worker: whether it sleeps, and what it sleeps on. Whoever turns `asleep` from true
    /// to false — a section waking it, or the worker itself finding work at its last look — owns
    /// the wake-up, so every signal meets exactly one wait and none is left over to wake a worker
    /// for nothing (counted wake-ups piled up in a shared semaphore kept a worker spinning).
    private final class Sleeper: Sendable {
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }
    private let sleepers: [Sleeper]
    /// The section's body: written before its ticket is published, cleared after its last part.
    private var body: ((Int, Int) -> Void)?
    /// Sections to run on their callers alone before the workers are tried again, and the length
    /// of the last such pause (owner's state: read and written only by the thread owning the pool).
    private var inlineSections = 0, lastPause = 0
    private static let firstPause = 8, longestPause = 1_024
    private static let partBits = 20
    private static let partMask = (1 << partBits) - 1

    /// A pool of `workers` threads (0: every section runs on its caller), started now and kept,
    /// with the pool, for the life of the process: make one per purpose, not one per call.
    public init(workers: Int, spinDuration: Duration = .microseconds(200)) {
        precondition(workers >= 0, "a pool needs zero or more workers")
        (workerCount, self.spinDuration) = (workers, spinDuration)
        sleepers = (0..<workers).map { _ in Sleeper() }
        let spinNanoseconds = UInt64(max(0, spinDuration.seconds * 1e9))
        for lane in 1..<max(1, workers + 1) {
            let thread = Thread { self.work(lane: lane, spinNanoseconds: spinNanoseconds) }
            thread.name = "gantry-pool-\(lane)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Calls `body(part, lane)` once for every part in `0..<parts`, on the caller and the
    /// workers, and returns when all have returned. `lane` (below `lanes`) is the thread's
    /// place in this section: parts on one lane run one after another, so per-lane scratch needs
    /// no lock. Runs every part on the caller (lane 0) when there is one part, no worker, or
    /// another section under way, and — unless `wakingWorkers` — when every worker sleeps.
    public func run(parts: Int, wakingWorkers: Bool = true, _ body: (_ part: Int, _ lane: Int) -> Void) {
        precondition(parts >= 0 && parts <= Self.maximumParts, "a section has 0 to \(Self.maximumParts) parts")
        guard parts > 1, workerCount > 0, wakingWorkers || sleepingWorkers < workerCount,
              owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part, 0) }
            return
        }
        defer { owned.store(false, ordering: .releasing) }
        guard inlineSections == 0 else {
            inlineSections -= 1
            for part in 0..<parts { body(part, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            finished.store(0, ordering: .relaxed)
            let start = DispatchTime.now().uptimeNanoseconds
            // Part 0 is the caller's from the start (`both` relies on it): the ticket offers 1….
            let generation = (ticket.load(ordering: .relaxed) >> (2 * Self.partBits)) &+ 1
            ticket.store((generation & (Int.max >> (2 * Self.partBits))) << (2 * Self.partBits) | parts << Self.partBits | 1,
                         ordering: .sequentiallyConsistent)
            // A worker marks itself asleep before it looks at the ticket a last time, and this
            // looks at the marks after publishing: one of the two sees the other.
            var wanted = parts - 1
            for sleeper in sleepers where wanted > 0 && sleeper.asleep.load(ordering: .sequentiallyConsistent) {
                if sleeper.asleep.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
                    sleeper.wake.signal()
                    wanted -= 1
                }
            }
            var part: Int? = 0, own = 0
            while let next = part {
                body(next, 0)
                own += 1
                part = claim()
            }
            let worked = DispatchTime.now().uptimeNanoseconds
            var polls = 0
            while finished.load(ordering: .acquiring) < parts - own {
                // The last parts run on workers: poll, and after ~50 µs give the core away, in
                // case such a worker waits for it.
                polls += 1
                if polls < 1_000 { gk_spin_pause() } else { sched_yield() }
            }
            self.body = nil
            judge(waited: DispatchTime.now().uptimeNanoseconds - worked, worked: worked - start, workersTookParts: own < parts)
        }
    }

    /// Starts a pause of the workers after a section whose caller waited for them longer than it
    /// worked itself; ends the doubling after a section they helped.
    private func judge(waited: UInt64, worked: UInt64, workersTookParts: Bool) {
        guard workersTookParts else { return }
        if waited > worked {
            lastPause = min(Self.longestPause, max(Self.firstPause, 2 * lastPause))
            inlineSections = lastPause
        } else {
            lastPause = 0
        }
    }

    /// `body(share, lane)` for `parts` consecutive shares of `0..<count` (their sizes differ by at
    /// most one), as a section of `parts` parts (`run(parts:_:)`).
    public func run(sharing count: Int, parts: Int, _ body: (_ share: Range<Int>, _ lane: Int) -> Void) {
        run(parts: parts) { part, lane in body(count * part / parts..<count * (part + 1) / parts, lane) }
    }

    /// `first()` on the calling thread while a worker that is awake runs `second()` (a section of
    /// two parts); the caller runs `second` after `first` when no worker has started it. No
    /// worker is woken for it: waking one costs the caller a system call, and the worker's first
    /// polls come tens of microseconds later (measured with a 50 µs `first`: 58 µs for both when
    /// the worker slept, 50.4 µs when it was awake, 65 µs one after the other). Both results.
    @inlinable
    public func both<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
        var a: A?, b: B?
        run(parts: 2, wakingWorkers: false) { part, _ in
            if part == 0 { a = first() } else { b = second() }
        }
        return (a!, b!)
    }

    /// The next part of the section on offer, claimed; nil when none is left.
    private func claim() -> Int? {
        var current = ticket.load(ordering: .acquiring)
        while true {
            let next = current & Self.partMask, parts = (current >> Self.partBits) & Self.partMask
            guard next < parts else { return nil }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            current = original
        }
    }

    /// Whether the section on offer has an unclaimed part.
    private func hasWork(_ ticket: Int) -> Bool { ticket & Self.partMask < (ticket >> Self.partBits) & Self.partMask }

    /// A worker's life: take parts while there are any; poll for `spinNanoseconds` after the
    /// last section it saw (taken part in or not: sections coming faster than that keep it
    /// awake), the first 20 µs with the CPU's pause hint, then yielding the core between polls so
    /// that other threads waiting for it run; sleep.
    private func work(lane: Int, spinNanoseconds: UInt64) -> Never {
        let generationShift = 2 * Self.partBits
        var seen = ticket.load(ordering: .relaxed) >> generationShift
        var idleSince = DispatchTime.now().uptimeNanoseconds, polls = 0, idle: UInt64 = 0
        while true {
            let current = ticket.load(ordering: .relaxed)
            if current >> generationShift != seen {
                seen = current >> generationShift
                (idleSince, polls, idle) = (DispatchTime.now().uptimeNanoseconds, 0, 0)
            }
            if hasWork(current), let part = claim() {
                perform(part, lane: lane)
                finished.add(1, ordering: .releasing)
                (idleSince, polls, idle) = (DispatchTime.now().uptimeNanoseconds, 0, 0)
                continue
            }
            polls += 1
            if polls & 63 == 0 { idle = DispatchTime.now().uptimeNanoseconds - idleSince }
            guard idle > spinNanoseconds else {
                if idle < 20_000 { gk_spin_pause() } else { sched_yield() }
                continue
            }
            let sleeper = sleepers[lane - 1]
            sleeper.asleep.store(true, ordering: .sequentiallyConsistent)
            let workCameFirst = hasWork(ticket.load(ordering: .sequentiallyConsistent))
                && sleeper.asleep.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
            if !workCameFirst { sleeper.wake.wait() }  // a section turned the mark off and signals
            (idleSince, polls, idle) = (DispatchTime.now().uptimeNanoseconds, 0, 0)
        }
    }

    /// One claimed part, on a worker; the body's reference is dropped before the part counts as
    /// finished (`withoutActuallyEscaping` checks that none is left).
    @inline(never)
    private func perform(_ part: Int, lane: Int) {
        body.unsafelyUnwrapped(part, lane)
    }
}
