//! The CMDB through its REST contract: classes and validation, items with ETag / If-Match and
//! reads at past instants, relationships and impact analysis (cycles, diamonds, depth, both
//! directions, type filters), the CIs of tickets, who sees what, and inventory reconciliation.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("id")
}

fn field_names(r: &Reply) -> Vec<String> {
    r.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

async fn ci(c: &Client, class: &str, name: &str, extra: Value) -> i64 {
    let mut body = json!({"class": class, "name": name, "status": "live"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    id(&created(c.post("/api/v1/cmdb/cis", body).await))
}

async fn relate(c: &Client, source: i64, rel: &str, target: i64) -> i64 {
    id(&created(c.post("/api/v1/cmdb/relationships", json!({"source": source, "type": rel, "target": target})).await))
}

fn names(impact: &Value) -> Vec<(String, i64)> {
    impact["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("nodes in {impact:?}"))
        .iter()
        .map(|n| (n["name"].as_str().unwrap_or("").to_string(), n["depth"].as_i64().unwrap_or(-1)))
        .collect()
}

/// A PATCH with an `If-Match` header.
async fn patch_if(c: &Client, path: &str, etag: &str, body: Value) -> Reply {
    let req = c
        .http
        .patch(format!("{}{path}", c.base))
        .bearer_auth(c.token.as_deref().unwrap_or(""))
        .header("if-match", etag)
        .json(&body);
    read(req.send().await.expect("sent")).await
}

both_backends! {
    async fn classes_validate_every_write(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let classes = admin.get("/api/v1/cmdb/classes").await;
        assert_eq!(classes.status, 200);
        let keys: Vec<&str> = classes.body["items"].as_array().expect("items").iter().filter_map(|c| c["key"].as_str()).collect();
        for k in ["business_service", "application", "database", "server", "virtual_machine", "network_device", "storage"] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
        // Admins add classes; agents may not.
        let body = json!({"name": "Load balancer", "attributes": [
            {"key": "vip", "type": "ip", "required": true},
            {"key": "tier", "type": "select", "options": ["gold", "silver"]},
            {"key": "backend", "type": "reference"}
        ]});
        agent.post("/api/v1/cmdb/classes", body.clone()).await.assert_problem(403, "forbidden");
        let lb = created(admin.post("/api/v1/cmdb/classes", body.clone()).await);
        assert_eq!(lb["key"], "load_balancer");
        admin.post("/api/v1/cmdb/classes", body).await.assert_problem(422, "validation_failed");
        let bad = admin.post("/api/v1/cmdb/classes", json!({"name": "Odd", "attributes": [{"key": "x", "type": "blob"}]})).await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&bad), vec!["attributes[0].type"]);

        // Items: unknown class, wrong types, missing required attribute, each naming its field.
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "spaceship", "name": "x"})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&r), vec!["class"]);
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "load_balancer", "name": "lb1", "attributes": {"tier": "bronze"}})).await;
        r.assert_problem(422, "validation_failed");
        let mut f = field_names(&r);
        f.sort();
        assert_eq!(f, vec!["attributes.tier", "attributes.vip"]);
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "s", "attributes": {"cpu_count": "eight"}})).await;
        assert_eq!(field_names(&r), vec!["attributes.cpu_count"]);
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "load_balancer", "name": "lb1", "attributes": {"vip": "10.0.0.5", "backend": 999999}})).await;
        assert_eq!(field_names(&r), vec!["attributes.backend"]);
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "s", "status": "broken"})).await;
        assert_eq!(field_names(&r), vec!["status"]);
        // Identifiers are normalised and belong to one item.
        let s1 = created(agent.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "db01",
            "identifiers": {"serial": "sn-1", "mac": "aa-bb-cc-dd-ee-01", "hostname": "DB01.Example.com."}})).await);
        assert_eq!(s1["identifiers"], json!({"serial": "SN-1", "mac": "AA:BB:CC:DD:EE:01", "hostname": "db01.example.com"}));
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "db02", "identifiers": {"mac": "AABB.CCDD.EE01"}})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&r), vec!["identifiers.mac"]);
        // Requesters do not write the CMDB.
        let (_, requester) = server.user("requester").await;
        requester.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "mine"})).await.assert_problem(403, "forbidden");
        server.stop().await;
    }

    async fn items_change_with_if_match_and_read_as_they_were(db: TestDb) {
        let server = db.start().await;
        let (_, agent) = server.user("agent").await;
        let r = agent.post("/api/v1/cmdb/cis", json!({"class": "server", "name": "app01", "attributes": {"os": "Debian 12"}})).await;
        assert_eq!(r.status, 201);
        assert_eq!(r.headers["etag"], "\"1\"");
        assert!(r.headers["location"].to_str().unwrap_or("").ends_with(&format!("/api/v1/cmdb/cis/{}", id(&r.body))));
        let v1 = r.body;
        let sid = id(&v1);
        let path = format!("/api/v1/cmdb/cis/{sid}");
        let v2 = patch_if(&agent, &path, "\"1\"", json!({"attributes": {"os": "Debian 13"}, "status": "maintenance"})).await;
        assert_eq!(v2.status, 200, "{:?}", v2.body);
        assert_eq!(v2.body["version"], 2);
        assert_eq!(v2.headers["etag"], "\"2\"");
        // A stale version changes nothing.
        patch_if(&agent, &path, "\"1\"", json!({"name": "lost update"})).await.assert_problem(412, "stale_version");
        assert_eq!(agent.get(&path).await.body["name"], "app01");
        // As it was when created.
        let at = v1["updated_at"].as_str().expect("instant").to_string();
        let then = agent.get(&format!("{path}?at={at}")).await;
        assert_eq!(then.status, 200, "{:?}", then.body);
        assert_eq!(then.body["attributes"]["os"], "Debian 12");
        assert_eq!(then.body["status"], "live");
        agent.get(&format!("{path}?at=2001-01-01T00:00:00Z")).await.assert_problem(404, "not_found");
        agent.get(&format!("{path}?at=yesterday")).await.assert_problem(400, "invalid_query");
        // Deleted: gone from the list, still readable before the deletion, history complete.
        let before_delete = v2.body["updated_at"].as_str().expect("instant").to_string();
        assert_eq!(agent.send(reqwest::Method::DELETE, &path, None).await.status, 204);
        let list = agent.get("/api/v1/cmdb/cis?q=app01").await;
        assert_eq!(list.body["items"], json!([]));
        assert_eq!(agent.get(&format!("{path}?at={before_delete}")).await.body["attributes"]["os"], "Debian 13");
        let history = agent.get(&format!("{path}/history")).await;
        let events: Vec<&str> = history.body["items"].as_array().expect("items").iter().filter_map(|e| e["event"].as_str()).collect();
        assert_eq!(events, vec!["created", "updated", "deleted"]);
        assert_eq!(history.body["items"][1]["changes"]["attributes.os"], json!({"from": "Debian 12", "to": "Debian 13"}));
        patch_if(&agent, &path, "*", json!({"name": "zombie"})).await.assert_problem(409, "deleted");
        server.stop().await;
    }

    async fn impact_walks_cycles_diamonds_depths_and_directions(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let org = created(admin.post("/api/v1/organizations", json!({"name": "Finance"})).await);
        for i in 0..2 {
            let r = admin.post("/api/v1/users", json!({"email": format!("fin{i}@example.test"), "name": format!("Fin {i}"),
                "role": "requester", "organization_id": id(&org)})).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        let payroll = ci(&agent, "business_service", "Payroll", json!({"offered_to": {"organizations": [id(&org)]}})).await;
        let app = ci(&agent, "application", "Payroll app", json!({})).await;
        let db_ = ci(&agent, "database", "Payroll DB", json!({})).await;
        let vm1 = ci(&agent, "virtual_machine", "vm1", json!({})).await;
        let vm2 = ci(&agent, "virtual_machine", "vm2", json!({})).await;
        let host = ci(&agent, "server", "host1", json!({})).await;
        relate(&agent, payroll, "depends_on", app).await;
        relate(&agent, app, "runs_on", vm1).await;
        relate(&agent, db_, "runs_on", vm2).await;
        relate(&agent, app, "depends_on", db_).await;
        relate(&agent, vm1, "hosted_on", host).await;
        let vm2_host = relate(&agent, vm2, "hosted_on", host).await;
        // A cycle: the database depends on the application too.
        let cycle = created(agent.post("/api/v1/cmdb/relationships", json!({"source": db_, "type": "depends_on", "target": app})).await);
        // An instant when the whole graph existed.
        let before = cycle["created_at"].as_str().expect("instant").to_string();

        let down = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?direction=downstream&depth=5")).await;
        assert_eq!(down.status, 200, "{:?}", down.body);
        let n = names(&down.body);
        assert_eq!(n[0], ("host1".to_string(), 0));
        let depth_of = |n: &[(String, i64)], name: &str| n.iter().find(|(x, _)| x == name).map(|(_, d)| *d);
        assert_eq!(depth_of(&n, "vm1"), Some(1));
        assert_eq!(depth_of(&n, "vm2"), Some(1));
        assert_eq!(depth_of(&n, "Payroll app"), Some(2));
        assert_eq!(depth_of(&n, "Payroll DB"), Some(2));
        assert_eq!(depth_of(&n, "Payroll"), Some(3));
        assert_eq!(n.len(), 6, "each item once: {n:?}");
        assert_eq!(down.body["services"], json!([{"id": payroll, "name": "Payroll"}]));
        assert_eq!(down.body["users"], 2);
        let edges = down.body["edges"].as_array().expect("edges");
        assert!(edges.iter().any(|e| e["source"] == vm1 && e["type"] == "hosted_on" && e["target"] == host));

        // Depth limits; upstream; a type filter.
        let shallow = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?depth=1")).await;
        assert_eq!(names(&shallow.body).len(), 3);
        assert_eq!(shallow.body["services"], json!([]));
        let up = agent.get(&format!("/api/v1/cmdb/cis/{payroll}/impact?direction=upstream&depth=5")).await;
        assert_eq!(depth_of(&names(&up.body), "host1"), Some(3));
        let infra = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?types=hosted_on,runs_on")).await;
        let infra_names: Vec<String> = names(&infra.body).into_iter().map(|(n, _)| n).collect();
        assert!(!infra_names.contains(&"Payroll".to_string()), "depends_on not followed: {infra_names:?}");
        agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?depth=11")).await.assert_problem(400, "invalid_query");
        agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?direction=sideways")).await.assert_problem(400, "invalid_query");

        // Relationship rules: not to itself, not of a type the classes do not allow, not twice.
        let r = agent.post("/api/v1/cmdb/relationships", json!({"source": host, "type": "depends_on", "target": host})).await;
        r.assert_problem(422, "validation_failed");
        assert_eq!(field_names(&r), vec!["target"]);
        let r = agent.post("/api/v1/cmdb/relationships", json!({"source": host, "type": "runs_on", "target": app})).await;
        assert_eq!(field_names(&r), vec!["type"]);
        agent.post("/api/v1/cmdb/relationships", json!({"source": app, "type": "runs_on", "target": vm1})).await
            .assert_problem(409, "relationship_exists");

        // Removing a relationship changes impact now, not impact at an earlier instant.
        let mid = down.body.clone();
        assert_eq!(agent.send(reqwest::Method::DELETE, &format!("/api/v1/cmdb/relationships/{vm2_host}"), None).await.status, 204);
        let now = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact")).await;
        assert_eq!(depth_of(&names(&now.body), "vm2"), None);
        let relationships_done = agent.get(&format!("/api/v1/cmdb/cis/{host}/history")).await;
        let last = relationships_done.body["items"].as_array().expect("items").last().cloned().expect("entry");
        assert_eq!(last["event"], "relationship_removed");
        let at = last["at"].as_str().expect("t");
        let at_before = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?at={before}")).await;
        assert_eq!(depth_of(&names(&at_before.body), "vm2"), Some(1), "{:?}", at_before.body);
        assert_eq!(names(&at_before.body).len(), names(&mid).len());
        let at_removal = agent.get(&format!("/api/v1/cmdb/cis/{host}/impact?at={at}")).await;
        assert_eq!(depth_of(&names(&at_removal.body), "vm2"), None);
        server.stop().await;
    }

    async fn tickets_name_cis_and_requesters_see_their_services(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let org = created(admin.post("/api/v1/organizations", json!({"name": "Sales"})).await);
        let other = created(admin.post("/api/v1/organizations", json!({"name": "Legal"})).await);
        let (requester_user, requester) = server.user("requester").await;
        let r = admin.patch(&format!("/api/v1/users/{}", requester_user.id), json!({"organization_id": id(&org)})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let crm = ci(&agent, "business_service", "CRM", json!({"offered_to": {"organizations": [id(&org)]}})).await;
        let email = ci(&agent, "business_service", "Email", json!({})).await;
        let contracts = ci(&agent, "business_service", "Contracts", json!({"offered_to": {"organizations": [id(&other)]}})).await;
        let server_ci = ci(&agent, "server", "crm-db-01", json!({})).await;

        // Requesters list the services offered to their organisation or to everyone.
        let mine = requester.get("/api/v1/cmdb/cis").await;
        assert_eq!(mine.status, 200);
        let mut seen: Vec<i64> = mine.body["items"].as_array().expect("items").iter().map(id).collect();
        seen.sort();
        assert_eq!(seen, vec![crm, email]);
        requester.get(&format!("/api/v1/cmdb/cis/{contracts}")).await.assert_problem(404, "not_found");
        requester.get(&format!("/api/v1/cmdb/cis/{server_ci}")).await.assert_problem(404, "not_found");
        requester.get(&format!("/api/v1/cmdb/cis/{crm}/impact")).await.assert_problem(403, "forbidden");

        // A requester names an offered service as affected on their own incident.
        let inc = created(requester.post("/api/v1/tickets", json!({"kind": "incident", "title": "CRM is slow"})).await);
        let number = inc["number"].as_str().expect("number").to_string();
        let r = requester.post(&format!("/api/v1/tickets/{number}/cis"), json!({"ci": crm})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = requester.post(&format!("/api/v1/tickets/{number}/cis"), json!({"ci": contracts})).await;
        assert_eq!(field_names(&r), vec!["ci"]);
        // The desk (an admin here: agents work only their groups' tickets) adds the cause.
        let r = admin.post(&format!("/api/v1/tickets/{number}/cis"), json!({"ci": server_ci, "role": "cause"})).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["items"].as_array().map(Vec::len), Some(2));
        let r = admin.post(&format!("/api/v1/tickets/{number}/cis"), json!({"ci": server_ci, "role": "culprit"})).await;
        assert_eq!(field_names(&r), vec!["role"]);
        let on_ci = admin.get(&format!("/api/v1/cmdb/cis/{crm}/tickets")).await;
        assert_eq!(on_ci.body["items"][0]["number"], number.as_str());
        assert_eq!(on_ci.body["items"][0]["open"], true);
        assert_eq!(on_ci.body["items"][0]["role"], "affected");
        // The query language finds tickets by the items and services they name.
        let by_service = admin.get("/api/v1/tickets?q=service:crm").await;
        assert_eq!(by_service.status, 200, "{:?}", by_service.body);
        assert_eq!(by_service.body["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(by_service.body["items"][0]["number"], number.as_str());
        let by_ci = admin.get(&format!("/api/v1/tickets?q=ci:{server_ci}")).await;
        assert_eq!(by_ci.body["items"][0]["number"], number.as_str());
        assert_eq!(admin.get("/api/v1/tickets?q=ci:crm-db-01 -service:CRM").await.body["items"], json!([]));
        admin.get("/api/v1/tickets?q=service:Nope").await.assert_problem(400, "invalid_query");
        let r = admin.send(reqwest::Method::DELETE, &format!("/api/v1/tickets/{number}/cis/{server_ci}"), None).await;
        assert_eq!(r.status, 204);
        assert_eq!(admin.get(&format!("/api/v1/tickets/{number}/cis")).await.body["items"].as_array().map(Vec::len), Some(1));
        // What the ticket's items affect: the named service itself, and the people it serves.
        let impact = admin.get(&format!("/api/v1/tickets/{number}/impact")).await;
        assert_eq!(impact.status, 200, "{:?}", impact.body);
        assert_eq!(impact.body["services"], json!([{"id": crm, "name": "CRM"}]));
        assert_eq!(impact.body["users"], 1);
        requester.get(&format!("/api/v1/tickets/{number}/impact")).await.assert_problem(403, "forbidden");
        server.stop().await;
    }

    async fn inventory_reconciles_without_duplicates(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        // The OS of workstations is owned by SCCM.
        let r = admin.send(reqwest::Method::PATCH, "/api/v1/cmdb/classes/workstation", Some(json!({"attributes": [
            {"key": "os", "type": "text", "authoritative_source": "sccm"}, {"key": "ip_address", "type": "ip"}
        ]}))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        // Every decision is asked for, to read them; the default is tested below.
        let push = |source: &str, items: Value, dry_run: bool| {
            json!({"source": source, "items": items, "dry_run": dry_run, "explain": "all"})
        };
        agent.post("/api/v1/cmdb/inventory", push("nmap", json!([]), false)).await.assert_problem(403, "forbidden");

        let first = admin.post("/api/v1/cmdb/inventory", push("sccm", json!([
            {"class": "workstation", "name": "PC-17", "identifiers": {"serial": "ABC123", "hostname": "pc-17.corp.example"},
             "attributes": {"os": "Windows 11"}}
        ]), false)).await;
        assert_eq!(first.status, 200, "{:?}", first.body);
        assert_eq!((first.body["created"].as_i64(), first.body["updated"].as_i64()), (Some(1), Some(0)));
        let pc = first.body["decisions"][0]["ci"].as_i64().expect("ci");

        // Another source knows the same machine by host name and MAC only: still one item, the
        // MAC added, the OS left to SCCM, the decision explained.
        let second = admin.post("/api/v1/cmdb/inventory", push("nmap", json!([
            {"class": "workstation", "name": "pc-17", "identifiers": {"hostname": "PC-17.corp.example.", "mac": "00-11-22-33-44-55"},
             "attributes": {"os": "Windows", "ip_address": "10.1.2.3"}}
        ]), false)).await;
        assert_eq!(second.body["updated"], 1, "{:?}", second.body);
        let d = &second.body["decisions"][0];
        assert_eq!(d["ci"], pc);
        assert_eq!(d["matched_by"], "hostname");
        assert_eq!(d["protected"], json!(["os"]));
        assert!(d["explanation"].as_str().is_some_and(|e| e.contains("hostname matches") && e.contains("sccm")), "{d:?}");
        let item = agent.get(&format!("/api/v1/cmdb/cis/{pc}")).await.body;
        assert_eq!(item["identifiers"]["mac"], "00:11:22:33:44:55");
        assert_eq!(item["attributes"]["os"], "Windows 11");
        assert_eq!(item["attributes"]["ip_address"], "10.1.2.3");
        assert_eq!(item["last_source"], "nmap");
        assert_eq!(agent.get("/api/v1/cmdb/cis?class=workstation").await.body["items"].as_array().map(Vec::len), Some(1));

        // The same again changes nothing.
        let again = admin.post("/api/v1/cmdb/inventory", push("nmap", json!([
            {"class": "workstation", "name": "pc-17", "identifiers": {"mac": "00:11:22:33:44:55"}, "attributes": {"ip_address": "10.1.2.3"}}
        ]), false)).await;
        assert_eq!(again.body["unchanged"], 1, "{:?}", again.body);

        // Conflicting identifiers are reported, not merged; bad items are rejected, the rest counted.
        ci(&agent, "workstation", "PC-99", json!({"identifiers": {"serial": "XYZ999"}})).await;
        let conflict = admin.post("/api/v1/cmdb/inventory", json!({"source": "nmap", "items": [
            {"class": "workstation", "name": "mystery", "identifiers": {"serial": "XYZ999", "mac": "00:11:22:33:44:55"}},
            {"class": "spaceship", "name": "x"},
            {"class": "workstation", "name": "PC-50", "identifiers": {"serial": "NEW50"}}
        ]})).await;
        assert_eq!(conflict.status, 200, "{:?}", conflict.body);
        assert_eq!(conflict.body["conflicts"].as_array().map(Vec::len), Some(1));
        let mut candidates: Vec<i64> = conflict.body["conflicts"][0]["candidates"].as_array().expect("c").iter().filter_map(Value::as_i64).collect();
        candidates.sort();
        assert_eq!(candidates.len(), 2);
        assert!(candidates.contains(&pc));
        assert_eq!(conflict.body["rejected"][0]["item"], 1);
        assert_eq!(conflict.body["rejected"][0]["errors"][0]["field"], "items[1].class");
        assert_eq!(conflict.body["created"], 1);
        // By default a push explains only its problems.
        let actions: Vec<&str> =
            conflict.body["decisions"].as_array().expect("decisions").iter().filter_map(|d| d["action"].as_str()).collect();
        assert_eq!(actions, ["conflict", "rejected"]);
        assert_eq!(agent.get(&format!("/api/v1/cmdb/cis/{pc}")).await.body["identifiers"]["serial"], "ABC123");

        // A dry run reports and writes nothing.
        let dry = admin.post("/api/v1/cmdb/inventory", push("nmap", json!([
            {"class": "workstation", "name": "PC-77", "identifiers": {"serial": "DRY77"}}
        ]), true)).await;
        assert_eq!((dry.body["dry_run"].as_bool(), dry.body["created"].as_i64()), (Some(true), Some(1)), "{:?}", dry.body);
        assert_eq!(agent.get("/api/v1/cmdb/cis?q=DRY77").await.body["items"], json!([]));
        // The same machine reported with its UUID byte-swapped is found.
        let uuid = admin.post("/api/v1/cmdb/inventory", push("hyperv", json!([
            {"class": "workstation", "name": "PC-50", "identifiers": {"uuid": "4C4C4544-0042-3510-8051-B4C04F4E3432", "serial": "NEW50"}}
        ]), false)).await;
        assert_eq!(uuid.body["updated"], 1, "{:?}", uuid.body);
        let swapped = admin.post("/api/v1/cmdb/inventory", push("vmware", json!([
            {"class": "workstation", "name": "pc-50", "identifiers": {"uuid": "44454c4c-4200-1035-8051-b4c04f4e3432"}}
        ]), false)).await;
        assert_eq!(swapped.body["decisions"][0]["matched_by"], "uuid", "{:?}", swapped.body);
        assert_eq!(swapped.body["created"], 0);
        server.stop().await;
    }

    async fn inventory_items_of_one_push_see_each_other(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        // A machine reported twice in one push, by different identifiers, is one item; an item
        // that takes over a host name frees the old one for a later item of the same push.
        let r = admin.post("/api/v1/cmdb/inventory", json!({"source": "sccm", "explain": "all", "items": [
            {"class": "workstation", "name": "PC-1", "identifiers": {"serial": "S1", "hostname": "h1.corp.example"}},
            {"class": "workstation", "name": "pc-1", "identifiers": {"hostname": "h1.corp.example", "mac": "00:00:00:00:00:01"}},
            {"class": "workstation", "name": "PC-1", "identifiers": {"serial": "S1", "hostname": "h2.corp.example"}},
            {"class": "workstation", "name": "PC-2", "identifiers": {"hostname": "h1.corp.example"}},
            {"class": "workstation", "name": "PC-3"},
            {"class": "workstation", "name": "PC-3"}
        ]})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let actions: Vec<&str> = r.body["decisions"].as_array().expect("decisions").iter().filter_map(|d| d["action"].as_str()).collect();
        assert_eq!(actions, ["created", "updated", "updated", "created", "created", "unchanged"], "{:?}", r.body);
        let pc1 = r.body["decisions"][0]["ci"].as_i64().expect("ci");
        assert_eq!(r.body["decisions"][1]["ci"], pc1);
        assert_eq!(r.body["decisions"][1]["matched_by"], "hostname");
        assert_eq!(r.body["decisions"][2]["ci"], pc1);
        assert_ne!(r.body["decisions"][3]["ci"], pc1);
        assert_eq!(r.body["decisions"][5]["matched_by"], "name");
        let item = agent.get(&format!("/api/v1/cmdb/cis/{pc1}")).await.body;
        assert_eq!(item["identifiers"], json!({"serial": "S1", "hostname": "h2.corp.example", "mac": "00:00:00:00:00:01"}));
        assert_eq!(item["version"], 3);
        assert_eq!(agent.get(&format!("/api/v1/cmdb/cis/{pc1}/history")).await.body["items"].as_array().map(Vec::len), Some(3));
        let by_host = agent.get("/api/v1/cmdb/cis?q=h1.corp.example").await.body;
        assert_eq!(by_host["items"].as_array().map(Vec::len), Some(1), "{by_host:?}");
        assert_eq!(by_host["items"][0]["name"], "PC-2");
        assert_eq!(agent.get("/api/v1/cmdb/cis?class=workstation").await.body["items"].as_array().map(Vec::len), Some(3));
        // The same push again changes nothing.
        let again = admin.post("/api/v1/cmdb/inventory", json!({"source": "sccm", "items": [
            {"class": "workstation", "name": "PC-1", "identifiers": {"serial": "S1", "hostname": "h2.corp.example"}},
            {"class": "workstation", "name": "PC-2", "identifiers": {"hostname": "h1.corp.example"}},
            {"class": "workstation", "name": "PC-3"}
        ]})).await;
        assert_eq!((again.body["unchanged"].as_i64(), again.body["decisions"].as_array().map(Vec::len)), (Some(3), Some(0)), "{:?}", again.body);
        server.stop().await;
    }

    async fn the_stale_threshold_is_an_admin_setting(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let r = admin.post("/api/v1/cmdb/inventory", json!({"source": "nmap", "explain": "all", "items": [
            {"class": "server", "name": "old01", "identifiers": {"serial": "OLD01"}}
        ]})).await;
        let old = r.body["decisions"][0]["ci"].as_i64().expect("ci");
        // Last reported ten days ago.
        let store = db.connect().await;
        let mut tx = store.begin().await.expect("tx");
        let ten_days_ago = opsdesk_store::Ts::from_micros(opsdesk_store::Ts::now().micros() - 10 * 86_400_000_000);
        tx.mark_ci_seen(old, "nmap", ten_days_ago).await.expect("seen");
        tx.commit().await.expect("commit");

        assert_eq!(agent.get("/api/v1/cmdb/settings").await.body, json!({"stale_after_days": 30}));
        assert_eq!(agent.get(&format!("/api/v1/cmdb/cis/{old}")).await.body["stale"], false);
        assert_eq!(agent.get("/api/v1/cmdb/cis?stale=true").await.body["items"], json!([]));

        agent.send(reqwest::Method::PUT, "/api/v1/cmdb/settings", Some(json!({"stale_after_days": 7}))).await.assert_problem(403, "forbidden");
        let bad = admin.send(reqwest::Method::PUT, "/api/v1/cmdb/settings", Some(json!({"stale_after_days": 0}))).await;
        assert_eq!(bad.status, 422, "{:?}", bad.body);
        assert_eq!(field_names(&bad), ["stale_after_days"]);
        let r = admin.send(reqwest::Method::PUT, "/api/v1/cmdb/settings", Some(json!({"stale_after_days": 7}))).await;
        assert_eq!((r.status, &r.body), (200, &json!({"stale_after_days": 7})));

        assert_eq!(agent.get("/api/v1/cmdb/settings").await.body["stale_after_days"], 7);
        assert_eq!(agent.get(&format!("/api/v1/cmdb/cis/{old}")).await.body["stale"], true);
        let stale = agent.get("/api/v1/cmdb/cis?stale=true").await.body;
        assert_eq!(stale["items"].as_array().map(|i| i.iter().filter_map(|c| c["id"].as_i64()).collect::<Vec<_>>()), Some(vec![old]));
        server.stop().await;
    }

    async fn admins_list_add_and_remove_relationship_rules(db: TestDb) {
        let server = db.start().await;
        let (_, admin) = server.user("admin").await;
        let (_, agent) = server.user("agent").await;
        let storage = ci(&agent, "storage", "san01", json!({})).await;
        let switch = ci(&agent, "network_device", "sw01", json!({})).await;
        let link = json!({"source": storage, "type": "runs_on", "target": switch});
        // Not allowed by the default rules.
        let refused = agent.post("/api/v1/cmdb/relationships", link.clone()).await;
        assert_eq!(refused.status, 422, "{:?}", refused.body);

        agent.post("/api/v1/cmdb/relationship-rules", json!({"source_class": "storage", "type": "runs_on", "target_class": "network_device"}))
            .await.assert_problem(403, "forbidden");
        let rule = created(admin.post("/api/v1/cmdb/relationship-rules", json!({"source_class": "storage", "type": "runs_on", "target_class": "network_device"})).await);
        assert_eq!((rule["source_class"].as_str(), rule["type"].as_str(), rule["target_class"].as_str()), (Some("storage"), Some("runs_on"), Some("network_device")));
        let listed = agent.get("/api/v1/cmdb/relationship-rules").await.body;
        assert!(listed["items"].as_array().expect("items").iter().any(|r| r["id"] == rule["id"]), "{listed:?}");
        let again = admin.post("/api/v1/cmdb/relationship-rules", json!({"source_class": "storage", "type": "runs_on", "target_class": "network_device"})).await;
        assert_eq!((again.status, field_names(&again)), (422, vec!["type".to_string()]), "{:?}", again.body);
        let bad = admin.post("/api/v1/cmdb/relationship-rules", json!({"source_class": "spaceship", "type": "runs_on"})).await;
        assert_eq!(field_names(&bad), ["source_class"], "{:?}", bad.body);

        relate(&agent, storage, "runs_on", switch).await;
        let r = admin.send(reqwest::Method::DELETE, &format!("/api/v1/cmdb/relationship-rules/{}", id(&rule)), None).await;
        assert_eq!(r.status, 204);
        let listed = agent.get("/api/v1/cmdb/relationship-rules").await.body;
        assert!(!listed["items"].as_array().expect("items").iter().any(|r| r["id"] == rule["id"]), "{listed:?}");
        // The relationship made under the rule stays; a new one is refused again.
        let rels = agent.get(&format!("/api/v1/cmdb/cis/{storage}/relationships")).await.body;
        assert!(rels.to_string().contains("runs_on"), "{rels:?}");
        let other = ci(&agent, "storage", "san02", json!({})).await;
        let refused = agent.post("/api/v1/cmdb/relationships", json!({"source": other, "type": "runs_on", "target": switch})).await;
        assert_eq!(refused.status, 422, "{:?}", refused.body);

        // The history names where the relationship was made (the API) and where it ended (the
        // item deleted from the command line).
        server.app().delete_ci(&opsdesk_domain::Actor::system(), storage, "cli").await.expect("deleted");
        let history = agent.get(&format!("/api/v1/cmdb/cis/{switch}/history")).await.body;
        let sources: Vec<(String, String)> = history["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["event"].as_str().is_some_and(|ev| ev.starts_with("relationship")))
            .map(|e| (e["event"].as_str().unwrap_or("").to_string(), e["source"].as_str().unwrap_or("").to_string()))
            .collect();
        assert_eq!(sources, [("relationship_added".to_string(), "api".to_string()), ("relationship_removed".to_string(), "cli".to_string())], "{history:?}");
        server.stop().await;
    }
}
