import Testing
@testable import Telemetry

@Suite("Process samples")
struct ProcessSampleTests {
    @Test("A sample of this process has CPU time and resident memory")
    func plausible() throws {
        var spin: UInt64 = 0
        for index in 0 ..< 2_000_000 { spin &+= UInt64(index) &* 31 }
        #expect(spin != 1)
        let sample = ProcessSample.now()
        #expect(sample.cpuSeconds > 0)
        #expect(sample.rssBytes > 1_048_576)
        let peak = try #require(sample.peakRSSBytes)
        #expect(peak >= sample.rssBytes / 2)
    }

    @Test("CPU time does not go backwards and peak RSS does not shrink")
    func monotonic() {
        let first = ProcessSample.now()
        let buffer = [UInt8](repeating: 1, count: 8 * 1_048_576)
        let second = ProcessSample.now()
        #expect(buffer.count == 8 * 1_048_576)
        #expect(second.cpuSeconds >= first.cpuSeconds)
        #expect((second.peakRSSBytes ?? 0) >= (first.peakRSSBytes ?? 0))
    }
}
