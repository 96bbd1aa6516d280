//! Values as JSON: the common case of a key holding a serialized struct.

use etcd_core::{Error, InvalidValue, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{GetOptions, KeysApi, SetOptions};

impl KeysApi {
    /// Reads a key and decodes its value, JSON, as a `T`.
    ///
    /// For the value's index (to compare-and-swap on it), read with [`get`](KeysApi::get) and decode
    /// `response.node.value` yourself.
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_keys::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Limits { max_connections: u32 }
    ///
    /// let limits: Limits = keys.get_json("/config/limits", None).await?;
    /// println!("{}", limits.max_connections);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when the value is not JSON, or not a `T` (a directory has no value), with
    /// serde_json's error as its source; [`get`](KeysApi::get)'s errors otherwise.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str, options: Option<GetOptions>) -> Result<T, Error> {
        let response = self.get(key, options).await?;
        serde_json::from_str(&response.node.value)
            .map_err(|e| InvalidValue::new(response.node.key.clone(), Some(response.node.modified_index), e).into())
    }

    /// Writes `value` as JSON to a key, with the conditions and TTL of `options`, as [`set`](KeysApi::set).
    ///
    /// # Examples
    /// ```no_run
    /// # async fn run(keys: etcd_keys::KeysApi) -> Result<(), etcd_keys::Error> {
    /// #[derive(serde::Serialize)]
    /// struct Limits { max_connections: u32 }
    ///
    /// keys.set_json("/config/limits", &Limits { max_connections: 64 }, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidValue`], before sending, when `value` cannot be written as JSON (a map whose keys are not
    /// strings, a `Serialize` implementation that fails); [`set`](KeysApi::set)'s errors otherwise.
    pub async fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        options: Option<SetOptions>,
    ) -> Result<Response, Error> {
        let json = serde_json::to_string(value).map_err(|e| InvalidValue::new(key, None, e))?;
        self.set(key, &json, options).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    use etcd_transport::{Body, Client, RequestBody};
    use http::{Request, Response as HttpResponse};
    use http_body_util::BodyExt;
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Limits {
        max_connections: u32,
        name: String,
    }

    /// A client answering every read with `value` at /config/limits, index 7, and keeping the last form sent.
    fn keys(value: &'static str) -> (KeysApi, Arc<Mutex<String>>) {
        let sent = Arc::new(Mutex::new(String::new()));
        let kept = sent.clone();
        let client = Client::new(tower::service_fn(move |request: Request<RequestBody>| {
            let kept = kept.clone();
            async move {
                let form = request.into_body().collect().await.unwrap().to_bytes();
                *kept.lock().unwrap() = String::from_utf8(form.to_vec()).unwrap();
                let node =
                    serde_json::json!({"key": "/config/limits", "value": value, "modifiedIndex": 7, "createdIndex": 7});
                let body = serde_json::json!({"action": "get", "node": node}).to_string();
                Ok::<_, Infallible>(HttpResponse::builder().header("x-etcd-index", "7").body(Body::from(body)).unwrap())
            }
        }));
        (KeysApi::new(client), sent)
    }

    #[tokio::test]
    async fn values_round_trip_as_json() {
        let (keys, sent) = keys(r#"{"max_connections":64,"name":"a b"}"#);
        let limits: Limits = keys.get_json("/config/limits", None).await.unwrap();
        assert_eq!(limits, Limits { max_connections: 64, name: "a b".into() });
        keys.set_json("/config/limits", &limits, None).await.unwrap();
        let form: BTreeMap<String, String> =
            form_urlencoded::parse(sent.lock().unwrap().as_bytes()).into_owned().collect();
        assert_eq!(form["value"], r#"{"max_connections":64,"name":"a b"}"#);
    }

    #[tokio::test]
    async fn a_value_that_is_not_the_json_asked_for_is_a_typed_error() {
        for value in ["not json", r#"{"max_connections":"many","name":"x"}"#, ""] {
            let (keys, _) = keys(value);
            let error = keys.get_json::<Limits>("/config/limits", None).await.unwrap_err();
            let Error::InvalidValue(invalid) = &error else { panic!("{error:?}") };
            assert!(error.is_invalid_value());
            assert_eq!((invalid.key(), invalid.index()), ("/config/limits", Some(7)));
            assert_eq!(error.to_string(), "the value of /config/limits (index 7) is not the JSON expected");
            assert!(std::error::Error::source(&error).is_some(), "serde_json's error is the cause");
        }
    }

    #[tokio::test]
    async fn a_value_that_cannot_be_json_is_refused_before_sending() {
        let (keys, sent) = keys("{}");
        let not_json = BTreeMap::from([((1, 2), "a map with tuple keys")]);
        let error = keys.set_json("/config/limits", &not_json, None).await.unwrap_err();
        assert!(error.is_invalid_value(), "{error}");
        assert_eq!(error.to_string(), "the value for /config/limits cannot be written as JSON");
        assert!(sent.lock().unwrap().is_empty(), "nothing was sent");
    }
}
