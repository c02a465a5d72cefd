import CTraderHistory
import Testing

@Suite("HistoryInterval: merging, subtracting, chunking")
struct HistoryIntervalTests {
    func interval(_ start: Int64, _ end: Int64) -> HistoryInterval { HistoryInterval(start: start, end: end) }

    @Test func mergesOverlappingAndAdjacentIntervalsAndDropsEmptyOnes() {
        let merged = HistoryInterval.merged([
            interval(20, 30), interval(0, 10), interval(10, 15), interval(25, 40), interval(50, 50),
        ])
        #expect(merged == [interval(0, 15), interval(20, 40)])
    }

    @Test func subtractingCoverageLeavesTheGapsInOrder() {
        let covered = [interval(10, 20), interval(30, 40), interval(35, 60)]
        #expect(interval(0, 100).subtracting(covered) == [interval(0, 10), interval(20, 30), interval(60, 100)])
        #expect(interval(12, 18).subtracting(covered).isEmpty)
        #expect(interval(15, 35).subtracting(covered) == [interval(20, 30)])
        #expect(interval(0, 5).subtracting([]) == [interval(0, 5)])
    }

    @Test func chunksCoverTheIntervalExactlyWithinTheSpan() {
        let chunks = interval(0, 25).chunks(ofAtMost: 10)
        #expect(chunks == [interval(0, 10), interval(10, 20), interval(20, 25)])
        #expect(interval(5, 5).chunks(ofAtMost: 10).isEmpty)
    }

    @Test func anEndBeforeTheStartIsEmpty() {
        #expect(interval(10, 5).isEmpty)
        #expect(interval(10, 5).length == 0)
    }
}
