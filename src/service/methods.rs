//! The documented methods of the built-in service, each with the API reference's
//! documentation of it: summary, description, request examples and example response. Routing,
//! `GET /`, the OpenAPI export, coverage and the example tests all read this table; how each
//! is answered is the runner-configuration profile's business (`profile`): its resource
//! engine, or a method of its rules.

/// One method the mock serves.
pub struct Method {
    /// The method name, e.g. `GetSCMIntegration`; the contract must have it.
    pub name: &'static str,
    pub example: Example,
}

/// A method as the API reference documents it.
pub struct Example {
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// (name, summary, request JSON)
    pub requests: &'static [(&'static str, &'static str, &'static str)],
    /// The reference's example response, with placeholder values.
    pub response: &'static str,
}

/// Methods the real service has that the mock does not cover: they are not in the documented
/// API. They answer `unimplemented`.
pub const UNCOVERED: &[&str] = &[
    "CreateLLMIntegration",
    "GetLLMIntegration",
    "ListLLMIntegrations",
    "UpdateLLMIntegration",
    "DeleteLLMIntegration",
];

/// Every documented method, grouped by resource.
pub const METHODS: &[Method] = &[
    Method {
        name: "CreateEnvironmentClass",
        example: Example {
            tag: "Environment Classes",
            summary: "Creates a new environment class for a runner",
            description: "Creates a new environment class for a runner. Use this method to:\n- Define compute resources\n- Configure environment settings\n- Set up runtime options",
            requests: &[
                ("Create environment class", "Creates a new environment configuration.", r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","displayName":"Large Instance","description":"8 CPU, 16GB RAM","configuration":[{"key":"cpu","value":"8"},{"key":"memory","value":"16384"}]}"#),
            ],
            response: r#"{"id":"id"}"#,
        },
    },
    Method {
        name: "GetEnvironmentClass",
        example: Example {
            tag: "Environment Classes",
            summary: "Gets details about a specific environment class",
            description: "Gets details about a specific environment class. Use this method to:\n- View class configuration\n- Check resource settings\n- Verify availability",
            requests: &[
                ("Get class details", "Retrieves information about a specific class.", r#"{"environmentClassId":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{"environmentClass":{"id":"id","runnerId":"runnerId","configuration":[{"key":"key","value":"value"}],"description":"xxx","displayName":"xxx","enabled":true}}"#,
        },
    },
    Method {
        name: "ListEnvironmentClasses",
        example: Example {
            tag: "Environment Classes",
            summary: "Lists environment classes with optional filtering",
            description: "Lists environment classes with optional filtering. Use this method to:\n- View available classes\n- Filter by capability\n- Check enabled status",
            requests: &[
                ("List all classes", "Shows all environment classes.", r#"{"pagination":{"pageSize":20}}"#),
                ("Filter enabled classes", "Lists only enabled environment classes.", r#"{"filter":{"enabled":true},"pagination":{"pageSize":20}}"#),
            ],
            response: r#"{"environmentClasses":[{"id":"id","runnerId":"runnerId","configuration":[{"key":"key","value":"value"}],"description":"xxx","displayName":"xxx","enabled":true}],"pagination":{"nextToken":"nextToken"}}"#,
        },
    },
    Method {
        name: "UpdateEnvironmentClass",
        example: Example {
            tag: "Environment Classes",
            summary: "Updates an environment class",
            description: "Updates an environment class. Use this method to:\n- Modify class settings\n- Update resource limits\n- Change availability",
            requests: &[
                ("Update class", "Changes class configuration.", r#"{"environmentClassId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","displayName":"Updated Large Instance","description":"16 CPU, 32GB RAM","enabled":true}"#),
            ],
            response: r#"{}"#,
        },
    },
    Method {
        name: "CreateHostAuthenticationToken",
        example: Example {
            tag: "Host Authentication Tokens",
            summary: "Creates a new authentication token for accessing remote hosts",
            description: "Creates a new authentication token for accessing remote hosts. Use this method to:\n- Set up SCM authentication\n- Configure OAuth credentials\n- Manage PAT tokens",
            requests: &[
                ("Create OAuth token", "Creates a new OAuth-based authentication token.", r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","userId":"f53d2330-3795-4c5d-a1f3-453121af9c60","host":"github.com","token":"gho_xxxxxxxxxxxx","source":"HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH","expiresAt":"2024-12-31T23:59:59Z","refreshToken":"ghr_xxxxxxxxxxxx"}"#),
            ],
            response: r#"{"token":{"id":"id","expiresAt":"2019-12-27T18:11:19.117Z","host":"host","integrationId":"integrationId","runnerId":"runnerId","scopes":["string"],"source":"HOST_AUTHENTICATION_TOKEN_SOURCE_UNSPECIFIED","subject":{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","principal":"PRINCIPAL_UNSPECIFIED"},"userId":"userId"}}"#,
        },
    },
    Method {
        name: "GetHostAuthenticationToken",
        example: Example {
            tag: "Host Authentication Tokens",
            summary: "Gets details about a specific host authentication token",
            description: "Gets details about a specific host authentication token. Use this method to:\n- View token information\n- Check token expiration\n- Verify token validity",
            requests: &[
                ("Get token details", "Retrieves information about a specific token.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{"token":{"id":"id","expiresAt":"2019-12-27T18:11:19.117Z","host":"host","integrationId":"integrationId","runnerId":"runnerId","scopes":["string"],"source":"HOST_AUTHENTICATION_TOKEN_SOURCE_UNSPECIFIED","subject":{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","principal":"PRINCIPAL_UNSPECIFIED"},"userId":"userId"}}"#,
        },
    },
    Method {
        name: "ListHostAuthenticationTokens",
        example: Example {
            tag: "Host Authentication Tokens",
            summary: "Lists host authentication tokens with optional filtering",
            description: "Lists host authentication tokens with optional filtering. Use this method to:\n- View all tokens\n- Filter by runner or user\n- Monitor token status",
            requests: &[
                ("List all tokens", "Shows all tokens with pagination.", r#"{"pagination":{"pageSize":20}}"#),
                ("Filter by runner", "Lists tokens for a specific runner.", r#"{"filter":{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68"},"pagination":{"pageSize":20}}"#),
            ],
            response: r#"{"pagination":{"nextToken":"nextToken"},"tokens":[{"id":"id","expiresAt":"2019-12-27T18:11:19.117Z","host":"host","integrationId":"integrationId","runnerId":"runnerId","scopes":["string"],"source":"HOST_AUTHENTICATION_TOKEN_SOURCE_UNSPECIFIED","subject":{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e","principal":"PRINCIPAL_UNSPECIFIED"},"userId":"userId"}]}"#,
        },
    },
    Method {
        name: "UpdateHostAuthenticationToken",
        example: Example {
            tag: "Host Authentication Tokens",
            summary: "Updates an existing host authentication token",
            description: "Updates an existing host authentication token. Use this method to:\n- Refresh token values\n- Update expiration\n- Modify token settings",
            requests: &[
                ("Update token", "Updates token value and expiration.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68","token":"gho_xxxxxxxxxxxx","expiresAt":"2024-12-31T23:59:59Z","refreshToken":"ghr_xxxxxxxxxxxx"}"#),
            ],
            response: r#"{}"#,
        },
    },
    Method {
        name: "DeleteHostAuthenticationToken",
        example: Example {
            tag: "Host Authentication Tokens",
            summary: "Deletes a host authentication token",
            description: "Deletes a host authentication token. Use this method to:\n- Remove unused tokens\n- Revoke access\n- Clean up expired tokens",
            requests: &[
                ("Delete token", "Permanently removes a token.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{}"#,
        },
    },
    Method {
        name: "CreateSCMIntegration",
        example: Example {
            tag: "SCM Integrations",
            summary: "Creates a new SCM integration for a runner",
            description: "Creates a new SCM integration for a runner. Use this method to:\n- Configure source control access\n- Set up repository integrations\n- Enable code synchronization",
            requests: &[
                ("Create GitHub integration", "Sets up GitHub SCM integration.", r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","scmId":"github","host":"github.com","oauthClientId":"client_id","oauthPlaintextClientSecret":"client_secret"}"#),
            ],
            response: r#"{"id":"182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e"}"#,
        },
    },
    Method {
        name: "GetSCMIntegration",
        example: Example {
            tag: "SCM Integrations",
            summary: "Gets details about a specific SCM integration",
            description: "Gets details about a specific SCM integration. Use this method to:\n- View integration settings\n- Check integration status\n- Verify configuration",
            requests: &[
                ("Get integration details", "Retrieves information about a specific integration.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{"integration":{"id":"id","host":"host","oauth":{"clientId":"clientId","encryptedClientSecret":"U3RhaW5sZXNzIHJvY2tz","issuerUrl":"issuerUrl"},"pat":true,"runnerId":"runnerId","scmId":"scmId","virtualDirectory":"virtualDirectory"}}"#,
        },
    },
    Method {
        name: "ListSCMIntegrations",
        example: Example {
            tag: "SCM Integrations",
            summary: "Lists SCM integrations for a runner",
            description: "Lists SCM integrations for a runner. Use this method to:\n- View all integrations\n- Monitor integration status\n- Check available SCMs",
            requests: &[
                ("List integrations", "Shows all SCM integrations.", r#"{"filter":{"runnerIds":["d2c94c27-3b76-4a42-b88c-95a85e392c68"]},"pagination":{"pageSize":20}}"#),
            ],
            response: r#"{"integrations":[{"id":"id","host":"host","oauth":{"clientId":"clientId","encryptedClientSecret":"U3RhaW5sZXNzIHJvY2tz","issuerUrl":"issuerUrl"},"pat":true,"runnerId":"runnerId","scmId":"scmId","virtualDirectory":"virtualDirectory"}],"pagination":{"nextToken":"nextToken"}}"#,
        },
    },
    Method {
        name: "UpdateSCMIntegration",
        example: Example {
            tag: "SCM Integrations",
            summary: "Updates an existing SCM integration",
            description: "Updates an existing SCM integration. Use this method to:\n- Modify integration settings\n- Update credentials\n- Change configuration",
            requests: &[
                ("Update integration", "Updates OAuth credentials.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68","oauthClientId":"new_client_id","oauthPlaintextClientSecret":"new_client_secret"}"#),
            ],
            response: r#"{}"#,
        },
    },
    Method {
        name: "DeleteSCMIntegration",
        example: Example {
            tag: "SCM Integrations",
            summary: "Deletes an SCM integration",
            description: "Deletes an SCM integration. Use this method to:\n- Remove unused integrations\n- Clean up configurations\n- Revoke SCM access",
            requests: &[
                ("Delete integration", "Removes an SCM integration.", r#"{"id":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{}"#,
        },
    },
    Method {
        name: "GetRunnerConfigurationSchema",
        example: Example {
            tag: "Schema",
            summary: "Gets the latest runner configuration schema",
            description: "Gets the latest runner configuration schema. Use this method to:\n- View available settings\n- Check configuration options\n- Validate configurations",
            requests: &[
                ("Get schema", "Retrieves configuration schema for a runner.", r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68"}"#),
            ],
            response: r#"{"schema":{"environmentClasses":[{"id":"id","bool":{"default":true},"description":"description","display":{"default":"default"},"enum":{"default":"default","defaultValue":{"detail":"detail","subtitle":"subtitle","title":"title"},"possibleValues":[{"detail":"detail","subtitle":"subtitle","title":"title"}],"values":["string"]},"int":{"default":0,"max":0,"min":0},"name":"name","required":true,"secret":true,"string":{"default":"default","pattern":"pattern"}}],"runnerConfig":[{"id":"id","bool":{"default":true},"description":"description","display":{"default":"default"},"enum":{"default":"default","defaultValue":{"detail":"detail","subtitle":"subtitle","title":"title"},"possibleValues":[{"detail":"detail","subtitle":"subtitle","title":"title"}],"values":["string"]},"int":{"default":0,"max":0,"min":0},"name":"name","required":true,"secret":true,"string":{"default":"default","pattern":"pattern"}}],"scm":[{"defaultHosts":["string"],"name":"name","oauth":{"callbackUrl":"callbackUrl"},"pat":{"description":"description","docsLink":"docsLink"},"scmId":"scmId"}],"version":"version"}}"#,
        },
    },
    Method {
        name: "ValidateRunnerConfiguration",
        example: Example {
            tag: "Configurations",
            summary: "Validates a runner configuration",
            description: "Validates a runner configuration. Use this method to:\n- Check configuration validity\n- Verify integration settings\n- Validate environment classes",
            requests: &[
                ("Validate SCM integration", "Checks if an SCM integration is valid.", r#"{"runnerId":"d2c94c27-3b76-4a42-b88c-95a85e392c68","scmIntegration":{"id":"integration-id","scmId":"github","host":"github.com","oauthClientId":"client_id","oauthPlaintextClientSecret":"client_secret"}}"#),
            ],
            response: r#"{"environmentClass":{"configurationErrors":[{"error":"error","key":"key"}],"descriptionError":"descriptionError","displayNameError":"displayNameError","valid":true},"scmIntegration":{"hostError":"hostError","oauthError":"oauthError","patError":"patError","scmIdError":"scmIdError","valid":true}}"#,
        },
    },
];
