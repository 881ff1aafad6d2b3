//! A job on a cron schedule: queued once however many nodes ask, run at its occurrence, and queueing
//! the following one itself.
use std::sync::{Arc, Mutex};

use qixie_kernel::db::sql;
use qixie_kernel::ids::CorpId;
use qixie_kernel::jobs;
use qixie_kernel::schedule::Schedule;
use qixie_kernel::time::Zone;

use crate::both;
use crate::helpers::*;

const KIND: &str = "test.weekday_report";

both!(
    cron_job_runs_and_schedules_the_next,
    async |app: &TestApp| {
        let state = &app.state;
        let corp = CorpId(app.corp_id_number().await);
        let zone = Zone::named("Asia/Shanghai").unwrap();
        let schedule = Schedule::parse("0 9 * * MON-FRI").unwrap();
        // The app's clock stands on Monday 2026-09-21, 22:13 in Shanghai.
        let now = state.now();
        let shanghai = |day: i64| zone.at(zone.local(now).day + day, 9 * 60);
        let first = jobs::schedule_next(state, KIND, Some(corp), &schedule, &zone, now)
            .await
            .unwrap();
        assert_eq!(first, Some(shanghai(1)), "Tuesday 09:00");
        // Another node asking for the same schedule queues nothing more.
        let again = jobs::schedule_next(state, KIND, Some(corp), &schedule, &zone, now)
            .await
            .unwrap();
        assert_eq!(again, first);
        assert_eq!(pending(app).await, vec![shanghai(1)]);

        let ran = Arc::new(Mutex::new(Vec::new()));
        let mut registry = qixie::startup::job_registry();
        let seen = ran.clone();
        registry.register(
            KIND,
            Arc::new(move |app, job| {
                let seen = seen.clone();
                Box::pin(async move {
                    jobs::schedule_following(&app, &job).await?;
                    seen.lock()
                        .unwrap()
                        .push((job.corp_id, job.payload_i64("at")));
                    Ok(())
                })
            }),
        );
        // Runs every job due at `t` (the app's own jobs too: this registry has their handlers).
        let run_until = |t: i64| {
            let registry = &registry;
            async move {
                while jobs::run_due(state, registry, "test-node", t)
                    .await
                    .unwrap()
                {}
            }
        };

        run_until(shanghai(1) - 1).await;
        assert!(ran.lock().unwrap().is_empty(), "nothing before its time");
        // Tuesday to Friday, then over the weekend to Monday.
        for day in [1, 2, 3, 4, 7] {
            let at = shanghai(day);
            assert_eq!(pending(app).await, vec![at]);
            run_until(at).await;
            assert_eq!(
                ran.lock().unwrap().last().copied(),
                Some((Some(corp.0), Some(at)))
            );
        }
        assert_eq!(ran.lock().unwrap().len(), 5, "each occurrence once");
        assert_eq!(pending(app).await, vec![shanghai(8)], "Tuesday after");
    }
);

/// When the pending runs of `KIND` are due.
async fn pending(app: &TestApp) -> Vec<i64> {
    app.state
        .db
        .all::<(i64,)>(
            sql("SELECT run_at FROM jobs WHERE kind = $1 AND status = 'pending' ORDER BY run_at")
                .bind(KIND),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|(t,)| t)
        .collect()
}
