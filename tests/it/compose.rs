//! docker-compose.yml and what it mounts, checked statically: no Docker engine runs in CI.

use serde_yaml_ng::Value;

use crate::common::*;

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

/// `${NAME:-default}` → default.
fn default_of(v: &str) -> &str {
    v.split_once(":-")
        .and_then(|(_, d)| d.strip_suffix('}'))
        .unwrap_or_else(|| panic!("{v} has no default"))
}

/// (source, target) of each volume of a service.
fn mounts(service: &Value) -> Vec<(String, String)> {
    service["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| {
            let mut parts = s(v).split(':');
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect()
}

fn env_file(rel: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(repo().join(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn compose_pins_images_binds_loopback_and_keeps_data_in_named_volumes() {
    let c = yaml("docker-compose.yml");
    let services = c["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().map(s).collect();
    assert_eq!(names, ["clickhouse", "grafana"]);
    let declared: Vec<&str> = c["volumes"].as_mapping().unwrap().keys().map(s).collect();
    for (name, svc) in services {
        let name = s(name);
        let image = s(&svc["image"]);
        let (repo_name, tag) = image.split_once(':').expect("image with a tag");
        assert!(
            tag.chars().next().is_some_and(|c| c.is_ascii_digit()) && tag.contains('.'),
            "{name}: {image} is pinned to a version"
        );
        assert!(
            ["clickhouse/clickhouse-server", "grafana/grafana"].contains(&repo_name),
            "{name}: official image, got {repo_name}"
        );
        for port in svc["ports"].as_sequence().unwrap() {
            assert!(s(port).starts_with("127.0.0.1:"), "{name}: {port:?}");
        }
        for (source, target) in mounts(svc) {
            if source.starts_with("./") {
                assert!(
                    repo().join(&source).exists(),
                    "{name}: {source} exists in the repo"
                );
            } else {
                assert!(declared.contains(&source.as_str()), "{name}: {source}");
                assert!(target.starts_with("/var/lib/"), "{name}: data in {target}");
            }
        }
        assert_eq!(s(&svc["restart"]), "unless-stopped", "{name}");
    }
}

#[test]
fn clickhouse_applies_the_schema_and_defines_the_agent_and_reader_users() {
    let c = yaml("docker-compose.yml");
    let ch = &c["services"]["clickhouse"];
    let m = mounts(ch);
    assert!(m.contains(&("clickhouse-data".into(), "/var/lib/clickhouse".into())));
    assert!(m.contains(&("./schema".into(), "/ccsync/schema".into())));
    assert!(m.contains(&(
        "./deploy/clickhouse/initdb".into(),
        "/docker-entrypoint-initdb.d".into()
    )));
    // The users (grants checked in privileges.rs) come from the users.d snippet.
    assert!(m.contains(&(
        "./deploy/clickhouse/users.d/ccsync.xml".into(),
        "/etc/clickhouse-server/users.d/ccsync.xml".into()
    )));
    // Grafana waits for this before starting.
    assert!(format!("{:?}", ch["healthcheck"]["test"]).contains("/ping"));
    let script = repo().join("deploy/clickhouse/initdb/10-ccsync.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    // Every schema file is applied from the mounted directory (no list to keep in sync).
    assert!(text.contains("/ccsync/schema/[0-9][0-9][0-9]_*.sql"));
    let users =
        std::fs::read_to_string(repo().join("deploy/clickhouse/users.d/ccsync.xml")).unwrap();
    for needle in [
        "<ccsync_agent>",
        "<ccsync_reader>",
        "<readonly>2</readonly>",
        "from_env=\"CCSYNC_AGENT_PASSWORD\"",
        "from_env=\"CCSYNC_READER_PASSWORD\"",
    ] {
        assert!(users.contains(needle), "users.d/ccsync.xml: {needle}");
    }
    let env_names = format!("{:?}", ch["environment"]);
    assert!(
        env_names.contains("CCSYNC_AGENT_PASSWORD") && env_names.contains("CCSYNC_READER_PASSWORD")
    );
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success(), "bash -n {}", script.display());
    // The agent's credentials in .env.example are the ones compose creates by default.
    let env = ch["environment"].as_mapping().unwrap();
    let example = env_file(".env.example");
    let get = |k: &str| {
        example
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!(".env.example: {k}"))
    };
    assert_eq!(get("CLICKHOUSE_USER"), "ccsync_agent");
    assert_eq!(
        get("CLICKHOUSE_PASSWORD"),
        default_of(s(&env[&Value::from("CCSYNC_AGENT_PASSWORD")]))
    );
    assert_eq!(
        get("CLICKHOUSE_DATABASE"),
        default_of(s(&env[&Value::from("CCSYNC_DATABASE")]))
    );
    assert_eq!(get("CLICKHOUSE_URL"), "http://localhost:8123");
    assert!(
        ch["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|p| s(p) == "127.0.0.1:8123:8123")
    );
}

#[test]
fn grafana_gets_the_plugin_provisioning_and_dashboards() {
    let c = yaml("docker-compose.yml");
    let g = &c["services"]["grafana"];
    let env = g["environment"].as_mapping().unwrap();
    let plugins = s(&env[&Value::from("GF_INSTALL_PLUGINS")]);
    let (plugin, version) = plugins.split_once(' ').expect("plugin with a version");
    assert_eq!(plugin, "grafana-clickhouse-datasource");
    assert!(
        version.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "{version}"
    );
    assert_eq!(
        s(&g["depends_on"]["clickhouse"]["condition"]),
        "service_healthy"
    );
    let m = mounts(g);
    assert!(m.contains(&("grafana-data".into(), "/var/lib/grafana".into())));
    assert!(m.contains(&(
        "./deploy/grafana/provisioning".into(),
        "/etc/grafana/provisioning".into()
    )));
    // The dashboards directory is mounted where the provider reads it.
    let provider = yaml("deploy/grafana/provisioning/dashboards/ccsync.yaml");
    let path = s(&provider["providers"][0]["options"]["path"]);
    assert!(m.contains(&("./deploy/grafana/dashboards".into(), path.to_string())));
    // The datasource reaches the compose service as the reader, credentials from the environment.
    let ds = yaml("deploy/grafana/provisioning/datasources/clickhouse.yaml");
    let ds = &ds["datasources"][0];
    assert_eq!(s(&ds["uid"]), "ccsync-clickhouse");
    assert_eq!(s(&ds["type"]), "grafana-clickhouse-datasource");
    assert_eq!(s(&ds["jsonData"]["host"]), "clickhouse");
    assert_eq!(ds["jsonData"]["port"].as_u64(), Some(8123));
    assert_eq!(s(&ds["jsonData"]["protocol"]), "http");
    assert_eq!(s(&ds["jsonData"]["username"]), "ccsync_reader");
    for var in ["CCSYNC_READER_PASSWORD", "CLICKHOUSE_DATABASE"] {
        assert!(
            env.contains_key(Value::from(var)),
            "grafana gets {var} for provisioning"
        );
    }
    assert_eq!(
        s(&ds["secureJsonData"]["password"]),
        "${CCSYNC_READER_PASSWORD}"
    );
    assert_eq!(
        s(&ds["jsonData"]["defaultDatabase"]),
        "${CLICKHOUSE_DATABASE}"
    );
    // Same reader password default on both sides.
    let ch_env = c["services"]["clickhouse"]["environment"]
        .as_mapping()
        .unwrap();
    assert_eq!(
        s(&env[&Value::from("CCSYNC_READER_PASSWORD")]),
        s(&ch_env[&Value::from("CCSYNC_READER_PASSWORD")])
    );
}
