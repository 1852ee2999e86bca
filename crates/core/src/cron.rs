//! Five-field cron expressions (minute hour day-of-month month weekday, UTC)
//! for scheduled drills: `*`, numbers, ranges, lists and `/step`.

/// Whether `expr` has a matching minute in `(after, until]` (Unix seconds).
/// Looks back at most a week: a longer gap means one drill, not many.
pub fn due(expr: &str, after: i64, until: i64) -> Result<bool, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else {
        return Err(format!("{expr:?} is not a 5-field cron expression"));
    };
    let sets = [
        parse(minute, 0, 59)?,
        parse(hour, 0, 23)?,
        parse(dom, 1, 31)?,
        parse(month, 1, 12)?,
        parse(&dow.replace('7', "0"), 0, 6)?,
    ];
    let start = after.max(until - 7 * 24 * 3600) / 60 + 1;
    for m in start..=until / 60 {
        let Some(t) = chrono::DateTime::from_timestamp(m * 60, 0) else { continue };
        use chrono::{Datelike, Timelike};
        let dom_any = dom.trim() == "*";
        let dow_any = dow.trim() == "*";
        let day_ok = match (dom_any, dow_any) {
            (false, false) => sets[2][t.day() as usize] || sets[4][t.weekday().num_days_from_sunday() as usize],
            _ => sets[2][t.day() as usize] && sets[4][t.weekday().num_days_from_sunday() as usize],
        };
        if sets[0][t.minute() as usize] && sets[1][t.hour() as usize] && sets[3][t.month() as usize] && day_ok {
            return Ok(true);
        }
    }
    Ok(false)
}

fn parse(field: &str, min: u32, max: u32) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("bad step in {part:?}"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("zero step in {part:?}"));
        }
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (num(a, min, max)?, num(b, min, max)?)
        } else {
            let v = num(range, min, max)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return Err(format!("empty range {part:?}"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

fn num(s: &str, min: u32, max: u32) -> Result<u32, String> {
    let v: u32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if v < min || v > max {
        return Err(format!("{v} is outside {min}-{max}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::due;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp()
    }

    #[test]
    fn matches_minutes_hours_days_and_steps() {
        // Every day at 03:30.
        assert!(due("30 3 * * *", at("2026-11-24T03:00:00Z"), at("2026-11-24T03:31:00Z")).unwrap());
        assert!(!due("30 3 * * *", at("2026-11-24T03:31:00Z"), at("2026-11-24T05:00:00Z")).unwrap());
        // Mondays (1) at noon; 2026-11-23 is a Monday.
        assert!(due("0 12 * * 1", at("2026-11-23T11:00:00Z"), at("2026-11-23T12:00:00Z")).unwrap());
        assert!(!due("0 12 * * 1", at("2026-11-24T11:00:00Z"), at("2026-11-24T12:30:00Z")).unwrap());
        // Every 15 minutes.
        assert!(due("*/15 * * * *", at("2026-11-24T10:01:00Z"), at("2026-11-24T10:15:00Z")).unwrap());
        assert!(!due("*/15 * * * *", at("2026-11-24T10:01:00Z"), at("2026-11-24T10:14:00Z")).unwrap());
        // Lists and ranges; day-of-month or weekday when both are given.
        assert!(due("0 8-10,20 1 * 5", at("2026-11-27T19:00:00Z"), at("2026-11-27T20:00:00Z")).unwrap());
        assert!(due("bad", 0, 1).is_err() && due("61 * * * *", 0, 1).is_err());
    }
}
