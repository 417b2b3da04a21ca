//! The query pack in `queries/` runs against real data with server-side parameters.

use ccsync::sync::sync_once;

use crate::common::*;

#[tokio::test]
async fn daily_by_machine_splits_days_and_machines() {
    let env = Env::new("q_daily");
    let a = env.dir.path().join("a");
    let b = env.dir.path().join("b");
    for (dir, lines_) in [
        (
            &a,
            lines(&[
                line("a1", "2026-01-05T10:00:00.000Z"),
                line("a2", "2026-01-06T23:30:00.000Z"),
            ]),
        ),
        (
            &b,
            lines(&[line("b1", "2026-01-05T12:00:00.000Z").tokens(1, 2, 3, 4, 5)]),
        ),
    ] {
        let p = dir.join("projects/-p/s.jsonl");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, lines_).unwrap();
    }
    sync_once(&env.config_for("alpha", &a)).await.unwrap();
    sync_once(&env.config_for("beta", &b)).await.unwrap();
    let sql = std::fs::read_to_string(repo().join("queries/daily_by_machine.sql")).unwrap();
    let run = |machine: &'static str, tz: &'static str| {
        let sql = sql.clone();
        let client = env.client();
        async move {
            client
                .query(&sql)
                .param("machine", machine)
                .param("since", "2026-01-01")
                .param("until", "2026-12-31")
                .param("tz", tz)
                .fetch_all::<(u16, String, u64, u64, u64, u64, u64, f64)>()
                .await
                .unwrap()
        }
    };
    let all = run("", "UTC").await;
    let shape: Vec<(String, u64, u64, u64)> =
        all.iter().map(|r| (r.1.clone(), r.2, r.3, r.4)).collect();
    assert_eq!(
        shape,
        vec![
            ("alpha".into(), 1, 10, 100),
            ("beta".into(), 1, 1, 2),
            ("alpha".into(), 1, 10, 100)
        ]
    );
    let beta = run("beta", "UTC").await;
    assert_eq!(beta.len(), 1);
    assert_eq!(
        (beta[0].5, beta[0].6),
        (7, 5),
        "5m+1h cache writes, cache reads"
    );
    // In UTC+2 alpha's 23:30 message moves to the next day.
    let shifted = run("alpha", "Europe/Athens").await;
    assert_eq!(shifted.len(), 2);
    assert_eq!(
        shifted[1].0 - shifted[0].0,
        2,
        "days 2026-01-05 and 2026-01-07"
    );
}
