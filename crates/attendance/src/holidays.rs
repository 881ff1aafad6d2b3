//! The enterprise calendar: statutory holidays and adjusted working days (调休), company holidays.
