/// Arithmetic for numbers that come from outside: a Redis reply, a stream entry, a hash field, a
/// token. Any value of the type may arrive (`at` = −9223372036854775808 is one `XADD` away), and
/// Swift's `+`, `-` and `*` trap on overflow, which would kill the daemon on every restart. These
/// clamp to the type's bounds instead: a duration between two absurd times is absurd, but it is a
/// number the caller can compare and print.
extension FixedWidthInteger {
    /// `self - other`, or the bound it overflowed past.
    @inlinable
    public func clampedSubtracting(_ other: Self) -> Self {
        let (result, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return result }
        return other > 0 ? .min : .max
    }

    /// `self + other`, or the bound it overflowed past.
    @inlinable
    public func clampedAdding(_ other: Self) -> Self {
        let (result, overflow) = addingReportingOverflow(other)
        guard overflow else { return result }
        return other > 0 ? .max : .min
    }

    /// `self * other`, or the bound it overflowed past.
    @inlinable
    public func clampedMultiplied(by other: Self) -> Self {
        let (result, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return result }
        return (self < 0) == (other < 0) ? .max : .min
    }

    /// This value converted to `Other`, or the bound of `Other` it lies beyond.
    @inlinable
    public func clamped<Other: FixedWidthInteger>(to _: Other.Type = Other.self) -> Other {
        Other(clamping: self)
    }
}

extension Sequence where Element: FixedWidthInteger {
    /// The sum, clamped at the type's bounds instead of trapping (a dashboard summed from parts
    /// that someone wrote by hand).
    @inlinable
    public func clampedSum() -> Element {
        reduce(0) { $0.clampedAdding($1) }
    }
}
