//! The handbook's partner taxonomy: families, categories, tracks, statuses and what follows from them.
//!
//! Codes are the stable spellings used by the API, CSV files and the database.

use crate::field::FieldError;

/// Declares an enum whose variants have a stable lowercase code and a display label.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the handbook's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every code, in the handbook's order.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            /// The stable code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The handbook's name for it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a code exactly as sent, naming `field` when it is unknown.
            pub fn parse(field: &str, code: &str) -> Result<Self, $crate::field::FieldError> {
                match code {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::field::FieldError::unknown_code(field, other, Self::CODES)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// The three partner families of the handbook, by how the partner makes money.
    Family {
        Technology = ("technology", "Technology partner"),
        Services = ("services", "Services partner"),
        Reseller = ("reseller", "Reseller"),
    }
}

coded_enum! {
    /// The partner categories of the handbook; each belongs to exactly one family.
    Category {
        PlatformCloud = ("platform_cloud", "Platform: cloud"),
        PlatformKubernetes = ("platform_kubernetes", "Platform: Kubernetes"),
        Integrated = ("integrated", "Integrated"),
        SellTo = ("sell_to", "Sell-to"),
        Upstream = ("upstream", "Upstream"),
        GlobalSi = ("global_si", "Global systems integrator"),
        RegionalSi = ("regional_si", "Regional systems integrator"),
        BoutiqueSi = ("boutique_si", "Boutique systems integrator"),
        Msp = ("msp", "Managed service provider"),
        VarVad = ("var_vad", "VAR/VAD"),
        Dmr = ("dmr", "Direct market reseller"),
        Training = ("training", "Training partner"),
    }
}

coded_enum! {
    /// Which side builds and maintains an integration.
    IntegrationDirection {
        /// The vendor maintains the integration in its product.
        Outbound = ("outbound", "Outbound"),
        /// The partner builds and maintains the integration with the vendor.
        Inbound = ("inbound", "Inbound"),
    }
}

coded_enum! {
    /// The partner program track.
    Track {
        Open = ("open", "Open"),
        Select = ("select", "Select"),
    }
}

coded_enum! {
    /// Where a partnership stands.
    PartnerStatus {
        Prospect = ("prospect", "Prospect"),
        Active = ("active", "Active"),
        Inactive = ("inactive", "Inactive"),
    }
}

coded_enum! {
    /// A family's primary monetization, as the handbook states it.
    Monetization {
        LicensingSupportSales = ("licensing_support_sales", "Sales of software licensing/support integrating with the product"),
        ServicesSales = ("services_sales", "Sale of services"),
        Resale = ("resale", "Reselling the product"),
    }
}

/// The handbook's core set of priority outbound integrations.
pub const CORE_OUTBOUND: &[&str] = &["GitHub", "Bitbucket", "Jira", "Jenkins"];

impl Family {
    /// The handbook's primary monetization of this family.
    pub fn monetization(self) -> Monetization {
        match self {
            Family::Technology => Monetization::LicensingSupportSales,
            Family::Services => Monetization::ServicesSales,
            Family::Reseller => Monetization::Resale,
        }
    }

    /// The categories of this family.
    pub fn categories(self) -> impl Iterator<Item = Category> {
        Category::ALL
            .iter()
            .copied()
            .filter(move |c| c.family() == self)
    }
}

impl Category {
    /// The family the category belongs to.
    pub fn family(self) -> Family {
        use Category::*;
        match self {
            PlatformCloud | PlatformKubernetes | Integrated | SellTo | Upstream => {
                Family::Technology
            }
            GlobalSi | RegionalSi | BoutiqueSi | Msp => Family::Services,
            VarVad | Dmr | Training => Family::Reseller,
        }
    }

    /// Platform partners are the critical partnerships the handbook prioritises.
    pub fn is_platform(self) -> bool {
        matches!(self, Category::PlatformCloud | Category::PlatformKubernetes)
    }
}

/// Whether `name` is one of the core outbound partners (case-insensitive, spacing ignored).
pub fn is_core_outbound_name(name: &str) -> bool {
    let key: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    CORE_OUTBOUND.iter().any(|core| core.to_lowercase() == key)
}

/// Priority tier, 1 first: platform partners, then the core outbound integrations, then the rest.
pub fn priority(category: Category, direction: Option<IntegrationDirection>, name: &str) -> u8 {
    if category.is_platform() {
        1
    } else if core_outbound(category, direction, name) {
        2
    } else {
        3
    }
}

/// An integrated outbound partner from the handbook's core set.
pub fn core_outbound(
    category: Category,
    direction: Option<IntegrationDirection>,
    name: &str,
) -> bool {
    category == Category::Integrated
        && direction == Some(IntegrationDirection::Outbound)
        && is_core_outbound_name(name)
}

/// The classification of a partner: family, category and (integrated only) direction, consistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub category: Category,
    pub direction: Option<IntegrationDirection>,
}

impl Classification {
    /// Checks a family/category/direction triple as the handbook defines it. `family` may be
    /// omitted (it follows from the category); when given it must match.
    pub fn new(
        family: Option<Family>,
        category: Category,
        direction: Option<IntegrationDirection>,
    ) -> Result<Self, FieldError> {
        if let Some(family) = family {
            if category.family() != family {
                return Err(FieldError::new(
                    "category",
                    "conflict",
                    format!(
                        "category {} belongs to family {}, not {}",
                        category.code(),
                        category.family().code(),
                        family.code()
                    ),
                ));
            }
        }
        if direction.is_some() && category != Category::Integrated {
            return Err(FieldError::new(
                "integration_direction",
                "conflict",
                "integration_direction applies only to the integrated category",
            ));
        }
        Ok(Self {
            category,
            direction,
        })
    }

    pub fn family(&self) -> Family {
        self.category.family()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_belongs_to_the_family_the_handbook_lists_it_under() {
        let tech: Vec<_> = Family::Technology
            .categories()
            .map(Category::code)
            .collect();
        assert_eq!(
            tech,
            [
                "platform_cloud",
                "platform_kubernetes",
                "integrated",
                "sell_to",
                "upstream"
            ]
        );
        let services: Vec<_> = Family::Services.categories().map(Category::code).collect();
        assert_eq!(services, ["global_si", "regional_si", "boutique_si", "msp"]);
        let resellers: Vec<_> = Family::Reseller.categories().map(Category::code).collect();
        assert_eq!(resellers, ["var_vad", "dmr", "training"]);
    }

    #[test]
    fn monetization_follows_the_family() {
        assert_eq!(
            Family::Technology.monetization(),
            Monetization::LicensingSupportSales
        );
        assert_eq!(Family::Services.monetization(), Monetization::ServicesSales);
        assert_eq!(Family::Reseller.monetization(), Monetization::Resale);
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_name_the_field() {
        for c in Category::ALL {
            assert_eq!(Category::parse("category", c.code()), Ok(*c));
        }
        let err = Category::parse("category", "platform_moon").unwrap_err();
        assert_eq!(err.field, "category");
        assert_eq!(err.code, "unknown_code");
        assert!(err.message.contains("platform_cloud"));
    }

    #[test]
    fn platform_partners_come_first_then_the_core_outbound_set() {
        assert_eq!(priority(Category::PlatformCloud, None, "AWS"), 1);
        assert_eq!(priority(Category::PlatformKubernetes, None, "Red Hat"), 1);
        assert_eq!(
            priority(
                Category::Integrated,
                Some(IntegrationDirection::Outbound),
                "GitHub"
            ),
            2
        );
        assert_eq!(
            priority(
                Category::Integrated,
                Some(IntegrationDirection::Outbound),
                "bit bucket"
            ),
            2
        );
        assert_eq!(
            priority(
                Category::Integrated,
                Some(IntegrationDirection::Inbound),
                "Jenkins"
            ),
            3
        );
        assert_eq!(
            priority(
                Category::Integrated,
                Some(IntegrationDirection::Outbound),
                "Codeship"
            ),
            3
        );
        assert_eq!(priority(Category::GlobalSi, None, "Accenture"), 3);
    }

    #[test]
    fn family_must_match_the_category_and_direction_only_applies_to_integrated() {
        assert!(
            Classification::new(Some(Family::Technology), Category::PlatformCloud, None).is_ok()
        );
        let err =
            Classification::new(Some(Family::Services), Category::PlatformCloud, None).unwrap_err();
        assert_eq!(err.field, "category");
        let err = Classification::new(None, Category::Msp, Some(IntegrationDirection::Inbound))
            .unwrap_err();
        assert_eq!(err.field, "integration_direction");
        assert!(Classification::new(
            None,
            Category::Integrated,
            Some(IntegrationDirection::Inbound)
        )
        .is_ok());
    }
}
