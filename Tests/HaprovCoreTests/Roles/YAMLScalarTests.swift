import Testing
@testable import HaprovCore

/// Plain scalars read as Ansible reads them (YAML 1.1): the float test is written by hand.
@Suite struct YAMLScalarTests {
    @Test func floatsAndWhatOnlyLooksLikeThem() throws {
        for (text, expected) in [("1.5", 1.5), ("-0.25", -0.25), ("+3.", 3.0), (".5", 0.5), ("1.0e3", 1000.0), ("2.5E-1", 0.25)] {
            #expect(try YAMLDocument.parseValue(text) == .double(expected), "\(text)")
        }
        for text in ["10.213.7.2", "1.2.3", ".", "-.", "1e3x", "1.5e", "1.5e+", "e5", "v1.5", "1..2", "٣.٥"] {
            #expect(try YAMLDocument.parseValue(text) == .string(text), "\(text)")
        }
        #expect(try YAMLDocument.parseValue("42") == .int(42))
        #expect(try YAMLDocument.parseValue("yes") == .bool(true))
        #expect(try YAMLDocument.parseValue("'1.5'") == .string("1.5"))
    }
}
