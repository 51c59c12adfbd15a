import Foundation

/// The smoke tests there are; each is worded per language by `Phrasebook`.
public enum SmokeKind: String, Sendable, Codable, CaseIterable {
    case roundRobin, statsPage, clientAddress, webFailover, webRecovery, vipHolder, vipFailover
    /// A probe a role declares (its subject: the probe's name and host).
    case probe
}

/// An observation as data: a phrase key and its values, worded per language by `Phrasebook`.
public struct Note: Sendable, Codable, Equatable {
    public var key: String
    public var values: [String]

    public init(_ key: String, _ values: [String] = []) {
        self.key = key
        self.values = values
    }
}

/// Every request a failover test sent, and when the fault and its effects happened, in seconds
/// from the first request.
public struct Timeline: Sendable, Codable, Equatable {
    public struct Sample: Sendable, Codable, Equatable {
        public var at: Double
        public var ok: Bool
        /// Who answered (empty for a failed request).
        public var server: String
    }

    /// A moment on the chart: `fault` (service stopped), `restore` (started again), `left` and
    /// `rejoined` (a web server out of and back in the rotation), `vipMoved` (VIP on `value`).
    public struct Mark: Sendable, Codable, Equatable {
        public var at: Double
        public var key: String
        public var value: String
    }

    public var samples: [Sample]
    public var marks: [Mark]

    public var seconds: Double { max(samples.last?.at ?? 0, marks.map(\.at).max() ?? 0) }
}

/// One smoke test's outcome, as a row of the results table.
public struct SmokeResult: Sendable, Codable {
    public var kind: SmokeKind
    /// The host the test acts on (the web server stopped), when there is one.
    public var subject: String?
    public var passed: Bool
    public var note: Note
    /// What was seen, request by request (the seeds paste the same in their write-ups).
    public var evidence: [String]
    /// How long the test took.
    public var seconds: Double = 0
    public var timeline: Timeline?

    public init(kind: SmokeKind, subject: String? = nil, passed: Bool, note: Note, evidence: [String] = [], timeline: Timeline? = nil) {
        self.kind = kind
        self.subject = subject
        self.passed = passed
        self.note = note
        self.evidence = evidence
        self.timeline = timeline
    }

    /// The test's name in English (terminal, JSON).
    public var test: String { Phrasebook(.en).testName(kind, subject: subject) }
    /// What was seen, in English.
    public var observation: String { Phrasebook(.en).text(note) }
}
