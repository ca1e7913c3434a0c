import Foundation
import GantryMath
import Synchronization
import Testing

@Suite("Worker pool")
struct WorkerPoolTests {
    /// Counts of the parts a section ran, and whether two parts ever shared a lane at once.
    final class Ledger: @unchecked Sendable {
        let lock = NSLock()
        var runs: [Int]
        var busyLanes: Set<Int> = []
        var laneOverlaps = 0, lanesOutOfRange = 0
        let lanes: Int

        init(parts: Int, lanes: Int) { (runs, self.lanes) = ([Int](repeating: 0, count: parts), lanes) }

        func enter(_ part: Int, lane: Int) {
            lock.withLock {
                runs[part] += 1
                if !(0..<lanes).contains(lane) { lanesOutOfRange += 1 }
                if !busyLanes.insert(lane).inserted { laneOverlaps += 1 }
            }
        }

        func leave(lane: Int) { _ = lock.withLock { busyLanes.remove(lane) } }
    }

    @Test func everyPartRunsOnceOnALaneOfItsOwn() {
        let pool = WorkerPool(workers: 3)
        var random = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let parts = Int(random.next() % 40)
            let lengths = (0..<parts).map { _ in Int(random.next() % 2_000) }  // parts of uneven length
            let ledger = Ledger(parts: parts, lanes: pool.lanes)
            pool.run(parts: parts) { part, lane in
                ledger.enter(part, lane: lane)
                var spin = 0
                while spin < lengths[part] { spin += 1 }
                ledger.leave(lane: lane)
            }
            #expect(ledger.runs == [Int](repeating: 1, count: parts))
            #expect(ledger.laneOverlaps == 0 && ledger.lanesOutOfRange == 0)
        }
    }

    @Test func sectionsStartedInsideAPartOrBesideAnotherRunOnTheirCallers() async {
        let pool = WorkerPool(workers: 2)
        // Nested: a part starting a section of its own.
        let inner = Ledger(parts: 4 * 16, lanes: pool.lanes)
        pool.run(parts: 4) { outer, _ in
            pool.run(parts: 16) { part, lane in
                #expect(lane == 0)
                inner.enter(outer * 16 + part, lane: 100 + outer)  // lanes of the outer parts: apart
                inner.leave(lane: 100 + outer)
            }
        }
        #expect(inner.runs == [Int](repeating: 1, count: 64))
        // Side by side: eight threads' sections at once, each part once.
        let ledgers = (0..<8).map { _ in Ledger(parts: 50, lanes: pool.lanes) }
        await withTaskGroup(of: Void.self) { group in
            for ledger in ledgers {
                group.addTask {
                    for _ in 0..<20 {
                        let counts = Mutex([Int](repeating: 0, count: 50))
                        pool.run(parts: 50) { part, _ in counts.withLock { $0[part] += 1 } }
                        #expect(counts.withLock { $0 } == [Int](repeating: 1, count: 50))
                    }
                    pool.run(parts: 50) { part, lane in ledger.enter(part, lane: lane); ledger.leave(lane: lane) }
                }
            }
        }
        for ledger in ledgers { #expect(ledger.runs == [Int](repeating: 1, count: 50)) }
    }

    @Test func bothGivesBothResultsAndWakesNoSleepingWorker() {
        let pool = WorkerPool(workers: 1, spinDuration: .zero)
        let caller = pthread_self()
        // A section that wakes the worker, then wait until it sleeps again.
        pool.run(parts: 8) { _, _ in }
        while pool.sleepingWorkers < 1 { sched_yield() }
        let (a, b) = pool.both({ usleep(20_000); return (41, pthread_equal(pthread_self(), caller) != 0) }, { ("x", pthread_equal(pthread_self(), caller) != 0) })
        #expect(a.0 == 41 && b.0 == "x")
        #expect(a.1 && b.1, "with its worker asleep, both runs on the caller")
    }

    @Test func aSectionWhoseCallerWaitedLongerThanItWorkedPausesTheWorkers() {
        let pool = WorkerPool(workers: 1)
        // Part 0 (the caller's) runs until part 1 has started on the worker; part 1 then runs
        // until well after part 0 has returned: the caller waits longer than it worked.
        let started = Atomic<Bool>(false), callerDone = Atomic<UInt64>(0)
        let callerStart = Atomic<UInt64>(0)
        pool.run(parts: 2) { part, lane in
            let now = { DispatchTime.now().uptimeNanoseconds }
            if part == 0 {
                callerStart.store(now(), ordering: .relaxed)
                while !started.load(ordering: .acquiring) { sched_yield() }
                callerDone.store(now(), ordering: .releasing)
            } else {
                #expect(lane == 1)
                started.store(true, ordering: .releasing)
                while callerDone.load(ordering: .acquiring) == 0 { sched_yield() }
                let worked = callerDone.load(ordering: .relaxed) - callerStart.load(ordering: .relaxed)
                let until = now() + 2 * worked + 1_000_000
                while now() < until { sched_yield() }
            }
        }
        // The next eight sections run on their callers alone, however long their parts take.
        for _ in 0..<8 {
            let lanes = Mutex(Set<Int>())
            pool.run(parts: 16) { _, lane in
                lanes.withLock { _ = $0.insert(lane) }
                usleep(300)
            }
            #expect(lanes.withLock { $0 } == [0])
        }
    }
}
