//! Publishing a notification to SNS topics.

use aws_sdk_sns::types::MessageAttributeValue;

use super::{Aws, sdk_error};
use crate::Error;
use crate::notify::Message;

impl Aws {
    /// Publishes `m` (a `MessageStructure: json` message) to one topic, from a client in the
    /// topic's own region.
    pub async fn publish(&self, topic_arn: &str, m: &Message) -> Result<(), Error> {
        let region = topic_arn.split(':').nth(3).filter(|r| !r.is_empty());
        let mut conf = aws_sdk_sns::config::Builder::from(&self.config);
        if let Some(r) = region {
            conf = conf.region(aws_config::Region::new(r.to_string()));
        }
        let sns = aws_sdk_sns::Client::from_conf(conf.build());
        let mut req = sns
            .publish()
            .topic_arn(topic_arn)
            .subject(&m.subject)
            .message(&m.structure)
            .message_structure("json");
        for (k, v) in &m.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| Error::aws("sns:Publish", e))?;
            req = req.message_attributes(k, value);
        }
        req.send().await.map_err(|e| sdk_error("sns:Publish", e))?;
        Ok(())
    }
}
