//! Organizations in moto: an organization made by the bed's own account (so it is the
//! management account), OUs, and member accounts placed beneath them.

use aws_config::SdkConfig;

pub struct Organization {
    pub client: aws_sdk_organizations::Client,
    pub root: String,
}

impl Organization {
    pub async fn create(sdk: &SdkConfig) -> Organization {
        let client = aws_sdk_organizations::Client::new(sdk);
        client
            .create_organization()
            .send()
            .await
            .expect("organization");
        let root = client.list_roots().send().await.unwrap().roots()[0]
            .id()
            .unwrap()
            .to_string();
        Organization { client, root }
    }

    /// A new OU beneath `parent`.
    pub async fn ou(&self, parent: &str, name: &str) -> String {
        self.client
            .create_organizational_unit()
            .parent_id(parent)
            .name(name)
            .send()
            .await
            .expect("ou")
            .organizational_unit()
            .unwrap()
            .id()
            .unwrap()
            .to_string()
    }

    /// A new member account, moved beneath `parent` (the root when `None`).
    pub async fn account(&self, name: &str, parent: Option<&str>) -> String {
        let id = self
            .client
            .create_account()
            .email(format!("{name}@example.com"))
            .account_name(name)
            .send()
            .await
            .expect("account")
            .create_account_status()
            .unwrap()
            .account_id()
            .unwrap()
            .to_string();
        if let Some(parent) = parent {
            self.client
                .move_account()
                .account_id(&id)
                .source_parent_id(&self.root)
                .destination_parent_id(parent)
                .send()
                .await
                .expect("move");
        }
        id
    }
}
