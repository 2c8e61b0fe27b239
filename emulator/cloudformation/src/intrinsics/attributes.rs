//! What a resource's `Ref` and `Fn::GetAtt` attributes resolve to, by resource type.

use super::ids::{distribution_domain, function_arn, hash_id, state_machine_arn, table_arn, uuid_like};
use super::resolver::Resolver;
use crate::endpoints::EndpointRewriter;
use crate::error::{Result, StackError};
use crate::template::Resource;

impl Resolver<'_> {
    /// What `Ref` (`attribute: None`) or `Fn::GetAtt` resolves to for a resource.
    ///
    /// | type | Ref | attributes |
    /// | --- | --- | --- |
    /// | SQS queue | URL on the backend | `Arn`, `QueueName`, `QueueUrl` |
    /// | DynamoDB table | name | `Arn`, `StreamArn` |
    /// | state machine | ARN | `Arn`, `Name`, `StateMachineRevisionId` |
    /// | Lambda function | name | `Arn` |
    /// | IAM role | name (= logical id) | `Arn`, `RoleId` |
    /// | API Gateway v2 API | `env.api_id` | `ApiEndpoint`, `ApiId` |
    /// | API Gateway v2 stage | stage name | — |
    /// | other API Gateway v2 types | logical id | `…Id` |
    /// | Secrets Manager secret | name | `Id` (name) |
    /// | API Gateway (v1) API key, usage plan | logical id | — |
    /// | WAFv2 web ACL, IP set | — | `Arn`, `Id` |
    /// | log group | name | `Arn` |
    /// | CloudFront function | ARN | `FunctionARN`, `FunctionMetadata.FunctionARN`, `Stage` |
    /// | CloudFront distribution | id | `DomainName`, `Id` |
    /// | anything else | `arn:aws:{service}:{region}:{account}:{logical}`, with a warning | same, with `/{attribute}` |
    pub fn attribute(&self, id: &str, attribute: Option<&str>, path: &str) -> Result<String> {
        let resource = self.resource(id, path)?;
        let lookup = Lookup {
            resolver: self,
            resource,
            id,
            attribute,
            path,
        };
        match lookup.known()? {
            Some(value) => Ok(value),
            None => Ok(lookup.invented()),
        }
    }
}

/// One `Ref` or `Fn::GetAtt`. Each type's method answers `Ok(None)` for the attributes it has no
/// value for but that are no error either, which then get an invented ARN.
struct Lookup<'r, 't> {
    resolver: &'r Resolver<'t>,
    resource: &'t Resource,
    id: &'r str,
    attribute: Option<&'r str>,
    path: &'r str,
}

impl Lookup<'_, '_> {
    fn known(&self) -> Result<Option<String>> {
        match self.resource.kind.as_str() {
            "AWS::SQS::Queue" => self.queue(),
            "AWS::DynamoDB::Table" => self.table(),
            "AWS::StepFunctions::StateMachine" => self.state_machine(),
            "AWS::Lambda::Function" => self.function(),
            "AWS::IAM::Role" => self.role(),
            "AWS::IAM::Policy" => Ok(matches!(self.attribute, None | Some("Id")).then(|| self.id.to_owned())),
            "AWS::SecretsManager::Secret" => self.secret(),
            "AWS::WAFv2::WebACL" | "AWS::WAFv2::IPSet" => Ok(self.waf()),
            "AWS::Logs::LogGroup" => self.log_group(),
            "AWS::CloudFront::Function" => self.cloudfront_function(),
            "AWS::CloudFront::Distribution" => self.distribution(),
            "AWS::CloudFront::OriginRequestPolicy" | "AWS::CloudFront::CachePolicy" => {
                Ok(matches!(self.attribute, None | Some("Id")).then(|| uuid_like(self.id)))
            }
            kind if kind.starts_with("AWS::ApiGatewayV2::") => self.api_gateway_v2(kind),
            // Provisioning maps these logical ids to the ids the backend assigns.
            kind if kind.starts_with("AWS::ApiGateway::") => {
                Ok(self.attribute.is_none().then(|| self.id.to_owned()))
            }
            _ => Ok(None),
        }
    }

    fn name(&self) -> Result<String> {
        self.resolver.physical_name(self.id, self.path)
    }

    fn unknown(&self) -> StackError {
        StackError::UnknownAttribute {
            path: self.path.to_owned(),
            id: self.id.to_owned(),
            kind: self.resource.kind.clone(),
            attribute: self.attribute.unwrap_or("(Ref)").to_owned(),
        }
    }

    fn queue(&self) -> Result<Option<String>> {
        let env = self.resolver.env;
        Ok(Some(match self.attribute {
            None | Some("QueueUrl") => format!(
                "{}/{}/{}",
                env.backend_endpoint.trim_end_matches('/'),
                env.account,
                self.name()?
            ),
            Some("Arn") => format!("arn:aws:sqs:{}:{}:{}", env.region, env.account, self.name()?),
            Some("QueueName") => self.name()?,
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn table(&self) -> Result<Option<String>> {
        let env = self.resolver.env;
        Ok(Some(match self.attribute {
            None => self.name()?,
            Some("Arn") => table_arn(env, &self.name()?),
            Some("StreamArn") => format!("{}/stream/1970-01-01T00:00:00.000", table_arn(env, &self.name()?)),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn state_machine(&self) -> Result<Option<String>> {
        let env = self.resolver.env;
        Ok(Some(match self.attribute {
            None | Some("Arn") => state_machine_arn(env, &self.name()?),
            Some("Name") => self.name()?,
            Some("StateMachineRevisionId") => format!("{}:1", state_machine_arn(env, &self.name()?)),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn function(&self) -> Result<Option<String>> {
        Ok(Some(match self.attribute {
            None => self.name()?,
            Some("Arn") => function_arn(self.resolver.env, &self.name()?),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn role(&self) -> Result<Option<String>> {
        Ok(Some(match self.attribute {
            None => self.name()?,
            Some("Arn") => format!("arn:aws:iam::{}:role/{}", self.resolver.env.account, self.name()?),
            Some("RoleId") => format!("AROA{}", hash_id(self.id, 17).to_uppercase()),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn api_gateway_v2(&self, kind: &str) -> Result<Option<String>> {
        let env = self.resolver.env;
        Ok(Some(match (kind, self.attribute) {
            ("AWS::ApiGatewayV2::Api", None | Some("ApiId")) => env.api_id.clone(),
            ("AWS::ApiGatewayV2::Api", Some("ApiEndpoint")) => self.api_endpoint()?,
            ("AWS::ApiGatewayV2::Api", _) => return Err(self.unknown()),
            ("AWS::ApiGatewayV2::Stage", None) => self.name()?,
            ("AWS::ApiGatewayV2::Stage", _) => return Err(self.unknown()),
            (_, None) => self.id.to_owned(),
            (_, Some(attribute)) if attribute.ends_with("Id") => self.id.to_owned(),
            _ => return Ok(None),
        }))
    }

    fn api_endpoint(&self) -> Result<String> {
        let env = self.resolver.env;
        let scheme = match self
            .resolver
            .property_string(self.resource, "ProtocolType")?
            .as_deref()
        {
            Some("HTTP") => "https",
            _ => "wss",
        };
        Ok(format!(
            "{scheme}://{}",
            EndpointRewriter::api_host(&env.api_id, &env.region)
        ))
    }

    // Secrets Manager takes a name wherever it takes an ARN, and a real ARN ends in a random
    // suffix nobody can predict.
    fn secret(&self) -> Result<Option<String>> {
        match self.attribute {
            None | Some("Id") => self.name().map(Some),
            Some(_) => Err(self.unknown()),
        }
    }

    // Local mode does not evaluate WAF rules; the distribution that names them is not run.
    fn waf(&self) -> Option<String> {
        let env = self.resolver.env;
        match self.attribute {
            Some("Arn") => {
                let kind = if self.resource.kind.ends_with("WebACL") {
                    "webacl"
                } else {
                    "ipset"
                };
                Some(format!(
                    "arn:aws:wafv2:{}:{}:global/{kind}/{}/{}",
                    env.region,
                    env.account,
                    self.id,
                    uuid_like(self.id)
                ))
            }
            Some("Id") => Some(uuid_like(self.id)),
            _ => None,
        }
    }

    fn log_group(&self) -> Result<Option<String>> {
        let env = self.resolver.env;
        Ok(Some(match self.attribute {
            None => self.name()?,
            Some("Arn") => format!(
                "arn:aws:logs:{}:{}:log-group:{}:*",
                env.region,
                env.account,
                self.name()?
            ),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn cloudfront_function(&self) -> Result<Option<String>> {
        Ok(Some(match self.attribute {
            None | Some("FunctionARN" | "FunctionMetadata.FunctionARN") => format!(
                "arn:aws:cloudfront::{}:function/{}",
                self.resolver.env.account,
                self.name()?
            ),
            Some("Stage") => "LIVE".to_owned(),
            Some(_) => return Err(self.unknown()),
        }))
    }

    fn distribution(&self) -> Result<Option<String>> {
        Ok(Some(match self.attribute {
            None | Some("Id") => format!("E{}", hash_id(self.id, 13).to_uppercase()),
            Some("DomainName") => distribution_domain(self.id),
            Some(_) => return Err(self.unknown()),
        }))
    }

    /// A deterministic ARN for what local mode has no value for, with a warning saying so.
    fn invented(&self) -> String {
        let env = self.resolver.env;
        let kind = self.resource.kind.as_str();
        let service = kind.split("::").nth(1).unwrap_or("unknown").to_lowercase();
        let base = format!("arn:aws:{service}:{}:{}:{}", env.region, env.account, self.id);
        let value = match self.attribute {
            None => base,
            Some(attribute) => format!("{base}/{attribute}"),
        };
        self.resolver.warn(format!(
            "{}: local mode does not know what {} of {} ({kind}) is; using `{value}`",
            self.path,
            self.attribute
                .map_or("Ref".to_owned(), |a| format!("attribute {a}")),
            self.id,
        ));
        value
    }
}
