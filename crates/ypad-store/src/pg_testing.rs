//! Test support: a fresh, empty database on the test command's private PostgreSQL, one per
//! test, so tests run in parallel without seeing each other's pads.

/// The variable the test command sets to its private server's URL.
pub const URL_VAR: &str = "YPAD_TEST_DATABASE_URL";

/// The URL of a new empty database. Panics (it serves tests only) when the test command's
/// PostgreSQL is not there, saying how to get it.
pub fn fresh_database() -> String {
    let admin = std::env::var(URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{URL_VAR} is not set: the PostgreSQL half of these tests needs the private \
             PostgreSQL that `bash tests/run.sh` starts; run the tests through it"
        )
    });
    let name = format!("ypad_test_{}", uuid::Uuid::new_v4().simple());
    let create = {
        let (admin, name) = (admin.clone(), name.clone());
        // Its own thread and runtime, so a caller inside a tokio test may call this too.
        std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("cannot connect to {admin}: {e}"))?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(|e| format!("cannot create database {name}: {e}"))
            })
        })
    };
    match create.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e}"),
        Err(_) => panic!("creating a test database panicked"),
    }
    with_database(&admin, &name)
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_starts = base.find("://").map_or(0, |i| i + 3);
    let path_starts = base[authority_starts..]
        .find('/')
        .map_or(base.len(), |i| authority_starts + i);
    let mut out = format!("{}/{name}", &base[..path_starts]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::with_database("postgresql://postgres@/postgres?host=/tmp/x", "t1"),
            "postgresql://postgres@/t1?host=/tmp/x"
        );
        assert_eq!(
            super::with_database("postgres://u:p@db.example:5433", "t2"),
            "postgres://u:p@db.example:5433/t2"
        );
    }
}
